package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static io.catflap.protocol.ProtocolException.Kind.BAD_LZ4;
import static io.catflap.protocol.ProtocolException.Kind.BODY_TOO_LARGE;

/**
 * The body of a request with flag {@link Kitten#FLAG_LZ4} (catflap extension):
 * <pre>
 * raw length u32 LE | one LZ4 block (lz4-java block format, no frame header, no checksum)
 * </pre>
 * Compression uses lz4-java's fast compressor; decompression its safe decompressor, which never reads or
 * writes outside the given buffers however the block is forged.
 */
public final class Lz4Body {
    private static final int RAW_LENGTH_BYTES = 4;
    /**
     * An LZ4 block cannot expand more than this: a match-length byte encodes at most 255 output bytes.
     * A declared raw length beyond it is a lie, refused before its buffer is allocated.
     */
    private static final long MAX_EXPANSION = 255;
    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
    private static final LZ4Compressor COMPRESSOR = LZ4.fastCompressor();
    private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4.safeDecompressor();

    private Lz4Body() {
    }

    /** Compresses {@code raw}'s readable bytes into a new buffer; {@code raw} is neither released nor moved. */
    public static ByteBuf compress(ByteBuf raw, ByteBufAllocator alloc) {
        int n = raw.readableBytes();
        int max = COMPRESSOR.maxCompressedLength(n);
        ByteBuf out = alloc.buffer(RAW_LENGTH_BYTES + max);
        try {
            out.writeIntLE(n);
            ByteBuffer src = raw.nioBuffer(raw.readerIndex(), n);
            ByteBuffer dst = out.nioBuffer(RAW_LENGTH_BYTES, max);
            int written = COMPRESSOR.compress(src, src.position(), n, dst, dst.position(), max);
            out.writerIndex(RAW_LENGTH_BYTES + written);
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    /** Compresses {@code raw[off, off + len)} into a new LZ4 body. */
    public static byte[] compress(byte[] raw, int off, int len) {
        int max = COMPRESSOR.maxCompressedLength(len);
        byte[] out = new byte[RAW_LENGTH_BYTES + max];
        out[0] = (byte) len;
        out[1] = (byte) (len >>> 8);
        out[2] = (byte) (len >>> 16);
        out[3] = (byte) (len >>> 24);
        int written = COMPRESSOR.compress(raw, off, len, out, RAW_LENGTH_BYTES, max);
        return Arrays.copyOf(out, RAW_LENGTH_BYTES + written);
    }

    /**
     * Decompresses an LZ4 body (all of {@code compressed}'s readable bytes) into a new buffer the caller
     * owns; {@code compressed} is neither released nor moved. The declared raw length is checked against
     * {@code maxRawBytes} and against what the block could possibly hold before anything is allocated.
     *
     * @throws ProtocolException BODY_TOO_LARGE if the declared raw length is over {@code maxRawBytes};
     *                           BAD_LZ4 if the body is shorter than 4 bytes, declares more than its block
     *                           can hold, or the block is corrupt or does not yield exactly that length
     */
    public static ByteBuf decompress(ByteBuf compressed, int maxRawBytes, ByteBufAllocator alloc) {
        int n = compressed.readableBytes();
        if (n < RAW_LENGTH_BYTES) {
            throw new ProtocolException(BAD_LZ4, "LZ4 body of " + n + " bytes is shorter than its 4-byte raw length");
        }
        // bytes 0..3: raw (uncompressed) length, u32 LE
        long declared = compressed.getUnsignedIntLE(compressed.readerIndex());
        if (declared > maxRawBytes) {
            throw new ProtocolException(BODY_TOO_LARGE, "LZ4 body declares " + declared
                    + " raw bytes, over the limit of " + maxRawBytes);
        }
        // bytes 4..: the LZ4 block
        int blockBytes = n - RAW_LENGTH_BYTES;
        if (declared > blockBytes * MAX_EXPANSION) {
            throw new ProtocolException(BAD_LZ4, "LZ4 body declares " + declared + " raw bytes, more than its "
                    + blockBytes + "-byte block can hold");
        }
        int rawBytes = (int) declared;
        ByteBuf out = alloc.buffer(rawBytes);
        try {
            ByteBuffer src = compressed.nioBuffer(compressed.readerIndex() + RAW_LENGTH_BYTES, blockBytes);
            ByteBuffer dst = out.nioBuffer(0, rawBytes);
            int produced = DECOMPRESSOR.decompress(src, src.position(), blockBytes, dst, dst.position(), rawBytes);
            if (produced != rawBytes) {
                throw new ProtocolException(BAD_LZ4, "LZ4 block yields " + produced + " bytes, not the declared " + rawBytes);
            }
            out.writerIndex(rawBytes);
            return out;
        } catch (LZ4Exception e) {
            out.release();
            throw new ProtocolException(BAD_LZ4, "corrupt LZ4 block (" + blockBytes + " bytes, declared raw length "
                    + rawBytes + "): " + e.getMessage(), e);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }
}
