package io.catflap.aggregator.ingest;

import io.micrometer.core.instrument.Counter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds what a connection's answers may hold: once more is queued for it than the channel's
 * {@link io.netty.channel.WriteBufferWaterMark} allows (its sender does not read its answers), the connection is not
 * read either — a sender that pipelines requests without reading cannot make the server queue answers without end —
 * and if it stays unwritable for the timeout it is closed. Reading resumes when the answers drained below the low
 * water mark, unless the {@link ReadGateHandler} keeps it off for reasons of its own.
 */
public final class UnwritableTimeoutHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UnwritableTimeoutHandler.class);

    /** Pipeline name. */
    public static final String NAME = "unwritable";

    private final long timeoutMillis;
    private final Counter closed;
    private Future<?> close;

    /** @param closed counts the connections this handler closed */
    public UnwritableTimeoutHandler(long timeoutMillis, Counter closed) {
        this.timeoutMillis = timeoutMillis;
        this.closed = closed;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(false);
            if (close == null) {
                close = ctx.executor().schedule(() -> expire(ctx), timeoutMillis, TimeUnit.MILLISECONDS);
            }
        } else {
            cancel();
            ReadGateHandler.resumeReading(ctx);
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void expire(ChannelHandlerContext ctx) {
        close = null;
        if (ctx.channel().isActive() && !ctx.channel().isWritable()) {
            closed.increment();
            log.debug("closing {}: its answers were not read for {} ms", ctx.channel().remoteAddress(),
                    timeoutMillis);
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    private void cancel() {
        if (close != null) {
            close.cancel(false);
            close = null;
        }
    }
}
