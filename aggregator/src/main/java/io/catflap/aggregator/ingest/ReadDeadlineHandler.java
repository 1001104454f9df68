package io.catflap.aggregator.ingest;

import io.catflap.protocol.RequestFrameDecoder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A read permit is held only while bytes arrive: each phase of a request being read — its head (an HTTP request
 * head or a KITTEN handshake), then its body (an HTTP body or a KITTEN frame) — must arrive within the grace period
 * plus one second per {@code minBytesPerSecond} bytes received in it (Apache's mod_reqtimeout rule). A sender that
 * falls behind gets its permit taken back and its connection closed; an HTTP sender with no earlier answer pending
 * first gets a 408 with ClickHouse's error text. A KITTEN sender is only closed: a half-read frame cannot be
 * answered in step with the stream.
 *
 * <p>Time spent with auto-read off (the server, not the sender, holds the bytes back: a streamed insert waiting for
 * its upstream, answers not read) does not count. Netty's {@code ReadTimeoutHandler} and {@code IdleStateHandler}
 * measure silence, not pace: a sender trickling a byte every few seconds would pass them forever.
 *
 * <p>Sits right behind the {@link ReadGateHandler}, which lets bytes through only with a permit, so every buffer
 * seen here belongs to a request being read. A busy connection costs a clock read per request, not a timer: one
 * check stays scheduled per connection and a new phase moves it only if it would fire after that phase's grace
 * period ends. A check that finds its phase early schedules itself for the rest; checks run late rather than early,
 * after the event loop has read what arrived, so a loaded event loop only makes the deadline more lenient.
 */
public final class ReadDeadlineHandler extends ChannelInboundHandlerAdapter {
    /** Pipeline name. */
    public static final String NAME = "read-deadline";

    /** What of a request was being read when it fell behind; the tag of the timeout counter. */
    enum Phase { HEAD, BODY }

    /** The counters of requests cut off, by phase; one per server. */
    public static final class Timeouts {
        private final Counter head;
        private final Counter body;

        public Timeouts(MeterRegistry registry) {
            this.head = counter(registry, "head");
            this.body = counter(registry, "body");
        }

        private static Counter counter(MeterRegistry registry, String phase) {
            return Counter.builder("catflap.requests.read_timeout").tag("phase", phase)
                    .description("Requests whose sender fell behind the read deadline and was cut off: head = HTTP "
                            + "request head or KITTEN handshake, body = HTTP body or KITTEN frame")
                    .register(registry);
        }

        Counter of(Phase p) {
            return p == Phase.HEAD ? head : body;
        }
    }

    private final long graceNanos;
    private final long minBytesPerSecond;
    private final long pauseCheckNanos;
    private final Timeouts timeouts;
    private ChannelHandlerContext ctx;
    private ReadGateHandler gate;
    /** The phase being read, or null between requests. */
    private Phase phase;
    /** The gate's request count when this phase started: a different count means a new request. */
    private long request;
    private long received;
    /** When the phase started, on the event loop's ticker. */
    private long startNanos;
    /** When the phase started or was last checked: the time since counts as paused if auto-read is off. */
    private long checkedNanos;
    private long pausedNanos;
    /** When the pending check is due; meaningful while {@link #check} is set. */
    private long checkDueNanos;
    private Future<?> check;
    private boolean expired;

    /**
     * @param graceMillis        time a phase gets before the rate counts
     * @param minBytesPerSecond  each byte received in a phase extends its deadline by 1 s / this
     */
    public ReadDeadlineHandler(long graceMillis, long minBytesPerSecond, Timeouts timeouts) {
        this.graceNanos = TimeUnit.MILLISECONDS.toNanos(graceMillis);
        this.minBytesPerSecond = minBytesPerSecond;
        this.pauseCheckNanos = Math.min(graceNanos, TimeUnit.SECONDS.toNanos(1));
        this.timeouts = timeouts;
    }

    /** An HTTP request head was decoded: the rest of the request is its body, which gets a deadline of its own. */
    static void headRead(ChannelHandlerContext ctx) {
        ReadDeadlineHandler h = ctx.pipeline().get(ReadDeadlineHandler.class);
        if (h != null && h.phase == Phase.HEAD && h.request == h.gate.requests()) {
            h.start(Phase.BODY);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.gate = ctx.pipeline().get(ReadGateHandler.class);
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
        if (expired) {
            ReferenceCountUtil.release(msg);   // the connection is closing
            return;
        }
        if (msg instanceof ByteBuf b) {
            if (phase == null || request != gate.requests()) {
                // a KITTEN connection past its handshake reads frames only: each request is all body
                start(ctx.pipeline().get(RequestFrameDecoder.class) != null ? Phase.BODY : Phase.HEAD);
            }
            received += b.readableBytes();
        }
        ctx.fireChannelRead(msg);
    }

    private void start(Phase p) {
        phase = p;
        request = gate.requests();
        received = 0;
        pausedNanos = 0;
        startNanos = ctx.executor().ticker().nanoTime();
        checkedNanos = startNanos;
        if (check != null && checkDueNanos - startNanos > graceNanos) {
            cancel();   // an earlier phase's check, due after this phase's grace period
        }
        if (check == null) {
            schedule(startNanos, graceNanos);
        }
    }

    private void schedule(long nowNanos, long delayNanos) {
        checkDueNanos = nowNanos + delayNanos;
        check = ctx.executor().schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void check() {
        check = null;
        if (phase == null || !gate.reading() || request != gate.requests() || !ctx.channel().isActive()) {
            phase = null;   // the request was read (its permit, if any, went back)
            return;
        }
        long now = ctx.executor().ticker().nanoTime();
        if (!ctx.channel().config().isAutoRead()) {
            pausedNanos += now - checkedNanos;   // held back by the server, not the sender
            checkedNanos = now;
            schedule(now, pauseCheckNanos);
            return;
        }
        checkedNanos = now;
        long elapsed = now - startNanos;
        long deadline = graceNanos + pausedNanos + received * TimeUnit.SECONDS.toNanos(1) / minBytesPerSecond;
        if (elapsed < deadline) {
            schedule(now, deadline - elapsed);
        } else {
            expire();
        }
    }

    private void expire() {
        Phase p = phase;
        phase = null;
        expired = true;
        timeouts.of(p).increment();
        ReadGateHandler.requestRead(ctx);
        ctx.channel().config().setAutoRead(false);
        // the request in its body phase was counted as unanswered when its head was decoded
        int earlier = PipelineDepthHandler.unanswered(ctx) - (p == Phase.BODY ? 1 : 0);
        if (ctx.pipeline().get(HttpServerCodec.class) != null && earlier <= 0) {
            // written in front of the HTTP codec: no response of this connection is pending, and it closes after
            ctx.writeAndFlush(requestTimeout(p)).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    /** HTTP 408 with ClickHouse's text for a socket read timeout (Code 209), so clients show a familiar error. */
    private ByteBuf requestTimeout(Phase p) {
        String text = "Code: 209, e.displayText() = DB::NetException: Timeout exceeded while reading from socket ("
                + ctx.channel().remoteAddress() + "): the request " + (p == Phase.HEAD ? "head" : "body")
                + " arrived slower than " + minBytesPerSecond + " bytes/s after "
                + TimeUnit.NANOSECONDS.toMillis(graceNanos) + " ms\n";
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        return Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), body);
    }

    private void cancel() {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }
}
