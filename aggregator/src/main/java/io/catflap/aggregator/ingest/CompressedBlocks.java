package io.catflap.aggregator.ingest;

import com.clickhouse.client.api.internal.ClickHouseLZ4InputStream;
import com.clickhouse.client.api.internal.ClickHouseLZ4OutputStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.CompositeByteBuf;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4FastDecompressor;

/**
 * ClickHouse's own compression framing, in which it writes {@code compress=1} answers and reads
 * {@code decompress=1} request bodies (its {@code CompressedWriteBuffer} and {@code CompressedReadBuffer}): a
 * sequence of blocks, each
 * <pre>
 * checksum   16 bytes   CityHash128 (v1.0.2) of the rest of the block
 * method      1 byte    0x82: LZ4
 * size        u32 LE    the block's size without the checksum (these 9 header bytes and the data)
 * raw size    u32 LE    the data's size once decompressed
 * data                  one LZ4 block
 * </pre>
 * The blocks are written and read by clickhouse-java's streams; here only the header is looked at, to know where
 * a block ends and how large it will be before it is decompressed.
 */
final class CompressedBlocks {
    static final int HEADER_BYTES = 25;
    private static final int CHECKSUM_BYTES = 16;
    private static final int LZ4 = 0x82;
    private static final LZ4Compressor COMPRESSOR = LZ4Factory.fastestInstance().fastCompressor();
    /** Blocks come from senders: the pure-Java decompressor, whose every access the JVM bounds-checks. */
    private static final LZ4FastDecompressor DECOMPRESSOR = LZ4Factory.safeInstance().fastDecompressor();

    private CompressedBlocks() {
    }

    /** {@code raw} as one block, in a new buffer. */
    static ByteBuf compress(ByteBufAllocator alloc, byte[] raw) {
        ByteBuf out = alloc.buffer(HEADER_BYTES + COMPRESSOR.maxCompressedLength(raw.length));
        // a buffer larger than raw never fills, so the block is written once, by close()
        try (OutputStream blocks = new ClickHouseLZ4OutputStream(new ByteBufOutputStream(out), COMPRESSOR,
                raw.length + 1)) {
            blocks.write(raw);
        } catch (IOException | RuntimeException e) {
            out.release();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
        return out;
    }

    /** A {@code decompress=1} body undone block by block, as each block arrived whole. */
    static final class Decoder implements BodyDecoder {
        private final long limit;
        private final ByteBufAllocator alloc;
        /** The start of a block whose rest has not arrived yet. */
        private final CompositeByteBuf pending;
        private long inflated;

        Decoder(long limit, ByteBufAllocator alloc) {
            this.limit = limit;
            this.alloc = alloc;
            this.pending = alloc.compositeBuffer();
        }

        @Override
        public ByteBuf decode(ByteBuf chunk, boolean last) throws Failure {
            pending.addComponent(true, chunk);
            CompositeByteBuf out = alloc.compositeBuffer();
            try {
                while (pending.readableBytes() >= HEADER_BYTES) {
                    int at = pending.readerIndex();
                    int method = pending.getUnsignedByte(at + CHECKSUM_BYTES);
                    long size = pending.getUnsignedIntLE(at + CHECKSUM_BYTES + 1);
                    long raw = pending.getUnsignedIntLE(at + CHECKSUM_BYTES + 5);
                    if (method != LZ4) {
                        throw Failure.corrupt(String.format("compression method 0x%02x (only LZ4, 0x82, is read)",
                                method));
                    }
                    // LZ4 never grows data by more than raw / 255 + 16 bytes: a larger block is not one
                    long data = size - (HEADER_BYTES - CHECKSUM_BYTES);
                    if (data < 0 || data > raw + raw / 255 + 16) {
                        throw Failure.corrupt("a block declares " + size + " bytes for " + raw + " bytes of data");
                    }
                    if (inflated + raw > limit) {
                        throw Failure.tooLarge(limit);
                    }
                    if (pending.readableBytes() < CHECKSUM_BYTES + size) {
                        break;
                    }
                    out.addComponent(true, inflate(pending.readSlice((int) (CHECKSUM_BYTES + size)), (int) raw));
                    inflated += raw;
                }
                if (last && pending.isReadable()) {
                    throw Failure.corrupt("the body ends inside a block");
                }
                pending.discardReadComponents();
                return out;
            } catch (Failure e) {
                out.release();
                throw e;
            }
        }

        /** One whole block (not released) decompressed into a new buffer of {@code raw} bytes. */
        private ByteBuf inflate(ByteBuf block, int raw) throws Failure {
            ByteBuf out = alloc.buffer(raw, raw);
            try (InputStream in = new ClickHouseLZ4InputStream(new ByteBufInputStream(block), DECOMPRESSOR, 0)) {
                while (out.isWritable()) {
                    if (out.writeBytes(in, out.writableBytes()) < 0) {
                        throw Failure.corrupt("a block holds less data than it declares");
                    }
                }
                return out;
            } catch (IOException | RuntimeException e) {   // a checksum mismatch, a corrupt LZ4 block
                out.release();
                throw Failure.corrupt(String.valueOf(e.getMessage()));
            } catch (Failure e) {
                out.release();
                throw e;
            }
        }

        @Override
        public void close() {
            if (pending.refCnt() > 0) {
                pending.release();
            }
        }
    }
}
