package io.catflap.aggregator.ingest;

import io.catflap.protocol.Handshake;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import java.util.List;

/**
 * Decides from the first bytes what a connection speaks: {@code "KITTEN "} starts a KITTEN handshake, anything
 * else is HTTP. Replaces itself with the matching pipeline and hands it the bytes read so far: decoders in front of
 * the {@link IdleTimeoutHandler} behind it, request handlers behind that.
 */
public final class ProtocolSniffer extends ByteToMessageDecoder {
    private static final byte[] KITTEN = {'K', 'I', 'T', 'T', 'E', 'N', ' '};

    private final Ingest ingest;

    public ProtocolSniffer(Ingest ingest) {
        this.ingest = ingest;
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
        ChannelPipeline p = ctx.pipeline();
        String me = ctx.name();
        if (kitten) {
            p.addAfter(me, "kitten-handshake", new KittenHandshakeHandler(ingest));
        } else {
            p.addAfter(me, "http-codec", new HttpServerCodec());
            p.addAfter(IdleTimeoutHandler.NAME, "http-order", new PipelinedRequestGate());
            p.addAfter("http-order", "http-continue", new HttpServerExpectContinueHandler());
            p.addAfter("http-continue", "http-router", new HttpRequestRouter(ingest));
            p.addAfter("http-router", "select", ingest.selectHandler().get());
        }
        p.remove(this);
    }
}
