package io.catflap.loadtest;

import io.catflap.protocol.Handshake;
import io.catflap.protocol.HandshakeReply;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * A connection held open without traffic, as an idle host keeps one. Over KITTEN it completes the handshake
 * first, so the target holds it as a real session. A close by the target before the run ends is counted.
 */
final class IdleConnection extends ChannelInboundHandlerAdapter {
    private final LoadRun run;
    private final boolean kitten;
    private final String token;

    /** {@code token}: the KITTEN handshake's bearer token, or null. */
    IdleConnection(LoadRun run, boolean kitten, String token) {
        this.run = run;
        this.kitten = kitten;
        this.token = token;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (kitten) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(Handshake.encode(token)));
        } else {
            run.stats().idleConnected.increment();
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HandshakeReply.Result reply && reply.meow()) {
            run.stats().idleConnected.increment();
        } else {
            run.stats().error("idle connection: unexpected answer");
            ctx.close();
        }
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (!run.stopping()) {
            run.stats().idleClosed.increment();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
