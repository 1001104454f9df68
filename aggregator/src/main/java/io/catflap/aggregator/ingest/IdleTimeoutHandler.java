package io.catflap.aggregator.ingest;

import io.micrometer.core.instrument.Counter;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection that stayed idle between requests for the idle timeout: nothing arrived, no request is being
 * read or waits for a read permit, and every request got its whole answer. kittenhouse's server does the same after
 * a minute; without it the sockets of hosts that vanished without a FIN would stay open for good.
 *
 * <p>Sits behind the protocol's decoders and the {@link PipelineDepthHandler} (the sniffer and the protocol
 * handlers put their decoders in front of them and their request handlers behind), so it sees whole requests come
 * in and whole answers go out, however long an ack or a SELECT takes; the requests still unanswered are the ones
 * the {@link PipelineDepthHandler} counts. A new connection counts as idle until it sends.
 */
public final class IdleTimeoutHandler extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(IdleTimeoutHandler.class);

    /** Pipeline name. */
    public static final String NAME = "idle";

    private final long timeoutNanos;
    private final Counter closed;
    private ChannelHandlerContext ctx;
    private ReadGateHandler gate;
    private long lastActivity;
    private Future<?> check;

    /** @param closed counts the connections this handler closed */
    public IdleTimeoutHandler(long timeoutMillis, Counter closed) {
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        this.closed = closed;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.gate = ctx.pipeline().get(ReadGateHandler.class);
        lastActivity = System.nanoTime();
        schedule(timeoutNanos);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastActivity = System.nanoTime();
        if (msg instanceof HttpRequest) {
            ReadDeadlineHandler.headRead(ctx);
        }
        ctx.fireChannelRead(msg);
    }

    /** Bytes arrived, whether or not they completed a message yet (handshakes, parts of a body). */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        lastActivity = System.nanoTime();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (PipelineDepthHandler.endsAnswer(msg)) {
            lastActivity = System.nanoTime();
        }
        ctx.write(msg, promise);
    }

    private boolean betweenRequests() {
        return PipelineDepthHandler.unanswered(ctx) == 0 && (gate == null || gate.betweenRequests());
    }

    private void schedule(long delayNanos) {
        check = ctx.executor().schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void check() {
        check = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        if (!betweenRequests()) {
            schedule(timeoutNanos);   // busy: the idle time starts at its last answer or read
            return;
        }
        long left = timeoutNanos - (System.nanoTime() - lastActivity);
        if (left > 0) {
            schedule(left);
            return;
        }
        closed.increment();
        log.debug("closing {}: idle for {} ms", ctx.channel().remoteAddress(),
                TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
        ctx.close();
    }

    private void cancel() {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }
}
