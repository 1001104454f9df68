package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** {@link ResponseFrame} → bytes (server side); long messages are cut as {@link FrameCodec#encodeResponse} says. */
@ChannelHandler.Sharable
public final class ResponseFrameEncoder extends MessageToByteEncoder<ResponseFrame> {
    public ResponseFrameEncoder() {
        super(ResponseFrame.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, ResponseFrame frame, ByteBuf out) {
        FrameCodec.encodeResponse(frame, out);
    }
}
