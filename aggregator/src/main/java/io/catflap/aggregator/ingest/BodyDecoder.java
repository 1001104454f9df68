package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.BatchKey;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.compression.ZlibWrapper;
import java.util.Locale;

/**
 * Undoes the compression of an insert's body as the body arrives, so that its rows can be merged with other
 * senders' like any plain body: ClickHouse's own framing ({@code decompress=1}, {@link CompressedBlocks}) or a
 * {@code Content-Encoding} of gzip or deflate ({@link ZlibBodyDecoder}). Holds at most one block of input, and
 * refuses a body whose decompressed bytes would exceed the limit before they are all inflated.
 */
interface BodyDecoder {
    /**
     * The decompressed bytes of {@code chunk} (released by this call), in a new buffer the caller owns; empty while
     * what arrived does not complete a block yet.
     *
     * @param last {@code chunk} ends the body: a body that ends inside a block or stream is refused
     */
    ByteBuf decode(ByteBuf chunk, boolean last) throws Failure;

    /** Releases what the decoder holds; idempotent. */
    void close();

    /**
     * The decoder for bodies of {@code key}, or null: they are plain, or compressed in a way not undone here (a
     * {@code Content-Encoding} other than gzip and deflate, or both an encoding and {@code decompress}), and then go
     * upstream as they came, each on its own.
     *
     * @param limit the most decompressed bytes a body may have
     */
    static BodyDecoder of(BatchKey key, long limit, ByteBufAllocator alloc) {
        String decompress = key.settings().get("decompress");
        String encoding = key.contentEncoding();
        if (encoding == null) {
            return "1".equals(decompress) ? new CompressedBlocks.Decoder(limit, alloc) : null;
        }
        if (decompress != null) {
            return null;
        }
        return switch (encoding.toLowerCase(Locale.ROOT)) {
            case "gzip" -> new ZlibBodyDecoder(ZlibWrapper.GZIP, limit, alloc);
            // RFC 9110's deflate is zlib-wrapped, but some senders send raw deflate: Netty tells them apart
            case "deflate" -> new ZlibBodyDecoder(ZlibWrapper.ZLIB_OR_NONE, limit, alloc);
            default -> null;
        };
    }

    /** A body that cannot be decompressed, or is too large once decompressed: its request is refused. */
    final class Failure extends Exception {
        private final transient Refusal refusal;

        private Failure(Refusal refusal) {
            super(refusal.message(), null, false, false);
            this.refusal = refusal;
        }

        static Failure corrupt(String why) {
            return new Failure(new Refusal("bad_compression", 400, "Cannot decompress the request body: " + why,
                    true));
        }

        static Failure tooLarge(long limit) {
            return new Failure(new Refusal("request_too_large", 413, "Request body is larger than the limit of "
                    + limit + " bytes once decompressed", true));
        }

        Refusal refusal() {
            return refusal;
        }
    }
}
