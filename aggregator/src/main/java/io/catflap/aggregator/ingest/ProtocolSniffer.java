package io.catflap.aggregator.ingest;

import io.catflap.protocol.Handshake;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Decides from the first bytes what a connection speaks: {@code "KITTEN "} starts a KITTEN handshake, anything
 * else is HTTP. Replaces itself with the matching handlers ({@link Pipelines}) and hands them the bytes read so far.
 */
public final class ProtocolSniffer extends ByteToMessageDecoder {
    private static final byte[] KITTEN = {'K', 'I', 'T', 'T', 'E', 'N', ' '};

    private final Pipelines pipelines;

    ProtocolSniffer(Pipelines pipelines) {
        this.pipelines = pipelines;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int n = Math.min(in.readableBytes(), KITTEN.length);
        for (int i = 0; i < n; i++) {
            if (in.getByte(in.readerIndex() + i) != KITTEN[i]) {
                switchTo(ctx, false);
                return;
            }
        }
        if (Handshake.startsLikeKitten(in)) {
            switchTo(ctx, true);
        }
    }

    /** Before the first bytes said what the connection speaks, a failing connection is just closed. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private void switchTo(ChannelHandlerContext ctx, boolean kitten) {
        if (kitten) {
            pipelines.kittenHandshake(ctx.pipeline(), ctx.name());
        } else {
            pipelines.http(ctx.pipeline(), ctx.name());
        }
    }
}
