package io.catflap.aggregator.ingest;

import io.catflap.protocol.RequestFrame;
import io.catflap.protocol.ResponseFrame;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Counts the requests of a connection whose whole answer was not written yet, the one count the idle timeout and
 * the read deadline ask too, and caps them: past {@link #MAX_UNANSWERED}, it is not read until half of
 * them were answered. KITTEN senders pipeline frames, and a sender that never reads its answers would otherwise
 * have a request inserted for every 9-byte answer the kernel buffers on both ends still take, megabytes of them,
 * before the {@link UnwritableTimeoutHandler} sees the connection back up. A sender that does read is only slowed
 * to the rate its answers come back.
 *
 * <p>Sits behind the protocol's decoders and in front of the request handlers, so it sees whole requests come in and
 * whole answers go out.
 */
public final class PipelineDepthHandler extends ChannelDuplexHandler {
    /** Pipeline name. */
    public static final String NAME = "pipeline-depth";
    /** Far more than one connection needs to keep batches full, far fewer than the kernel buffers would allow. */
    static final int MAX_UNANSWERED = 128;

    private int unanswered;
    private boolean paused;

    /** Requests decoded on {@code ctx}'s connection whose whole answer was not written yet. */
    static int unanswered(ChannelHandlerContext ctx) {
        PipelineDepthHandler h = ctx.pipeline().get(PipelineDepthHandler.class);
        return h == null ? 0 : h.unanswered;
    }

    /** True for the last message of a final answer: a KITTEN response, or the end of a final (not 1xx) HTTP one. */
    static boolean endsAnswer(Object msg) {
        return msg instanceof ResponseFrame || msg instanceof LastHttpContent
                && !(msg instanceof HttpResponse r && r.status().codeClass() == HttpStatusClass.INFORMATIONAL);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if ((msg instanceof RequestFrame || msg instanceof HttpRequest) && ++unanswered >= MAX_UNANSWERED) {
            paused = true;
        }
        if (paused) {
            ctx.channel().config().setAutoRead(false);   // again: a handler elsewhere may have turned it on
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (!paused) {
            ctx.read();
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (endsAnswer(msg)) {
            // answers to requests that never decoded (a malformed frame) were not counted in
            unanswered = Math.max(0, unanswered - 1);
            if (paused && unanswered <= MAX_UNANSWERED / 2) {
                paused = false;
                ReadGateHandler.resumeReading(ctx);
            }
        }
        ctx.write(msg, promise);
    }
}
