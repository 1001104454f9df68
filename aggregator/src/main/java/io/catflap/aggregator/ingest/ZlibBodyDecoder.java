package io.catflap.aggregator.ingest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.compression.ZlibCodecFactory;
import io.netty.handler.codec.compression.ZlibDecoder;
import io.netty.handler.codec.compression.ZlibWrapper;

/**
 * A gzip or deflate {@code Content-Encoding} undone by Netty's zlib decoder, run as Netty's own
 * {@code HttpContentDecompressor} runs it: in an {@link EmbeddedChannel}.
 */
final class ZlibBodyDecoder implements BodyDecoder {
    /**
     * Compressed bytes inflated at a time. Deflate turns a byte into at most about a kilobyte, so a step inflates
     * at most about a megabyte and the limit is checked before a bomb's next step.
     */
    static final int STEP_BYTES = 1024;

    private final ZlibDecoder zlib;
    /**
     * A gzip body may hold several members, so its decoder never says it ended (a gzip stream cut short yields what
     * it decoded, whose last row the row check refuses); a deflate stream is whole once its decoder closed.
     */
    private final boolean endKnown;
    private final EmbeddedChannel channel;
    private final long limit;
    private final ByteBufAllocator alloc;
    private long inflated;

    ZlibBodyDecoder(ZlibWrapper wrapper, long limit, ByteBufAllocator alloc) {
        this.zlib = ZlibCodecFactory.newZlibDecoder(wrapper);
        this.endKnown = wrapper != ZlibWrapper.GZIP;
        this.channel = new EmbeddedChannel(zlib);
        this.limit = limit;
        this.alloc = alloc;
    }

    @Override
    public ByteBuf decode(ByteBuf chunk, boolean last) throws Failure {
        CompositeByteBuf out = alloc.compositeBuffer();
        try {
            while (chunk.isReadable()) {
                channel.writeInbound(chunk.readRetainedSlice(Math.min(STEP_BYTES, chunk.readableBytes())));
                for (ByteBuf b; (b = channel.readInbound()) != null; ) {
                    inflated += b.readableBytes();
                    out.addComponent(true, b);
                }
                if (inflated > limit) {
                    throw Failure.tooLarge(limit);
                }
            }
            if (last && endKnown && !zlib.isClosed()) {
                throw Failure.corrupt("the body ends inside the compressed stream");
            }
            return out;
        } catch (DecoderException e) {   // DecompressionException, or any other failure of the decoder
            out.release();
            throw Failure.corrupt(String.valueOf(e.getMessage()));
        } catch (Failure e) {
            out.release();
            throw e;
        } finally {
            chunk.release();
        }
    }

    @Override
    public void close() {
        if (channel.pipeline().context(zlib) != null) {
            channel.pipeline().remove(zlib);   // drops what it holds without decoding it
        }
        channel.finishAndReleaseAll();
    }
}
