package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Decodes one kind of frame per call. After a {@link ProtocolException} (surfaced by Netty wrapped in a
 * {@link io.netty.handler.codec.DecoderException}) the stream is out of step: every later byte is
 * discarded, so no frame is ever made of the wrong bytes, while the pipeline closes the connection.
 */
abstract class FrameDecoder extends ByteToMessageDecoder {
    private boolean failed;

    /** One frame, or null while it is incomplete (reader index untouched). */
    abstract Object decodeFrame(ByteBuf in);

    @Override
    protected final void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            Object frame = decodeFrame(in);
            if (frame != null) {
                out.add(frame);
            }
        } catch (ProtocolException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }
}
