package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Bytes → one {@link HandshakeReply.Result} (client side). Having emitted it, the decoder leaves the pipeline, so
 * the bytes after the reply reach the handler behind it (a {@link ResponseFrameDecoder}). After a
 * {@link ProtocolException} every later byte is discarded, as by the frame decoders, while the connection closes.
 */
public final class HandshakeReplyDecoder extends ByteToMessageDecoder {
    private boolean failed;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        HandshakeReply.Result result;
        try {
            result = HandshakeReply.decode(in, Kitten.MAX_HANDSHAKE_BYTES);
        } catch (ProtocolException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
        if (result != null) {
            out.add(result);
            ctx.pipeline().remove(this);
        }
    }
}
