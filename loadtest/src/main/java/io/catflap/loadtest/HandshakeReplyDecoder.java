package io.catflap.loadtest;

import io.catflap.protocol.HandshakeReply;
import io.catflap.protocol.Kitten;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Client side of the KITTEN handshake: emits the server's {@link HandshakeReply.Result} once, then leaves the
 * pipeline so that the bytes after MEOW reach the frame decoder behind it.
 */
final class HandshakeReplyDecoder extends ByteToMessageDecoder {
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        HandshakeReply.Result result = HandshakeReply.decode(in, Kitten.MAX_HANDSHAKE_BYTES);
        if (result != null) {
            out.add(result);
            ctx.pipeline().remove(this);
        }
    }
}
