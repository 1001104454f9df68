package io.catflap.aggregator;

import com.clickhouse.client.api.internal.ClickHouseLZ4InputStream;
import com.clickhouse.client.api.internal.ClickHouseLZ4OutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import net.jpountz.lz4.LZ4Factory;

/** Request bodies compressed as senders compress them; ClickHouse's compressed answers read as clients read them. */
public final class CompressedBodies {
    private CompressedBodies() {
    }

    /** {@code Content-Encoding: gzip}. */
    public static byte[] gzip(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream z = new GZIPOutputStream(out)) {
            z.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** {@code Content-Encoding: deflate} (zlib-wrapped). */
    public static byte[] deflate(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream z = new DeflaterOutputStream(out)) {
            z.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** {@code decompress=1}: ClickHouse's framing in blocks of at most {@code blockBytes}, as client-v2 writes it. */
    public static byte[] blocks(byte[] raw, int blockBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream lz4 = new ClickHouseLZ4OutputStream(out, LZ4Factory.fastestInstance().fastCompressor(),
                blockBytes)) {
            lz4.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A {@code compress=1} answer read as client-v2 reads it. */
    public static String decompress(byte[] blocks) {
        try (InputStream in = new ClickHouseLZ4InputStream(new ByteArrayInputStream(blocks),
                LZ4Factory.fastestInstance().fastDecompressor(), 1024)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
