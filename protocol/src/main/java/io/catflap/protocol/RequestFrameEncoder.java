package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** {@link RequestFrame} → bytes (client side); the frame is released once written. */
@ChannelHandler.Sharable
public final class RequestFrameEncoder extends MessageToByteEncoder<RequestFrame> {
    public RequestFrameEncoder() {
        super(RequestFrame.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, RequestFrame frame, ByteBuf out) {
        FrameCodec.encodeRequest(frame.flags(), frame.table(), frame.idempotencyKey(), frame.content(), out);
    }

    /** Sized for the whole frame up front, so a large body is copied once without regrowing. */
    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, RequestFrame frame, boolean preferDirect) {
        int size = Kitten.REQUEST_PREFIX_BYTES + 3 * frame.table().length() + Kitten.BODY_LENGTH_BYTES
                + Kitten.IDEMPOTENCY_KEY_BYTES + frame.content().readableBytes();
        return preferDirect ? ctx.alloc().ioBuffer(size) : ctx.alloc().heapBuffer(size);
    }
}
