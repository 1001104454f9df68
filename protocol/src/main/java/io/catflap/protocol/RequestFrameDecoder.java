package io.catflap.protocol;

import io.netty.buffer.ByteBuf;

/** Bytes → {@link RequestFrame}s (server side). Each frame's body is a retained slice the next handler owns. */
public final class RequestFrameDecoder extends FrameDecoder {
    private final int maxBodyBytes;
    private final RecentTables recentTables = new RecentTables();

    public RequestFrameDecoder(int maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    Object decodeFrame(ByteBuf in) {
        return FrameCodec.decodeRequest(in, maxBodyBytes, recentTables);
    }
}
