package io.catflap.protocol;

import io.netty.buffer.ByteBuf;

/** Bytes → {@link ResponseFrame}s (client side). */
public final class ResponseFrameDecoder extends FrameDecoder {
    private final int maxMessageBytes;

    public ResponseFrameDecoder(int maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    @Override
    Object decodeFrame(ByteBuf in) {
        return FrameCodec.decodeResponse(in, maxMessageBytes);
    }
}
