package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Bytes → one {@link HandshakeReply.Result} (client side). Having emitted it, the decoder leaves the pipeline, so
 * the bytes after the reply reach the handler behind it (a {@link ResponseFrameDecoder}).
 */
public final class HandshakeReplyDecoder extends ByteToMessageDecoder {
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        HandshakeReply.Result result = HandshakeReply.decode(in, Kitten.MAX_HANDSHAKE_BYTES);
        if (result != null) {
            out.add(result);
            ctx.pipeline().remove(this);
        }
    }
}
