package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The read deadline and the unwritable timeout on an {@link EmbeddedChannel} whose clock the test moves. */
class ReadDeadlineHandlerTest {
    private static final long GRACE_MILLIS = 1_000;
    private static final long MIN_RATE = 100;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ReadGate gate = new ReadGate(1, 0, () -> false, registry);
    private final ReadDeadlineHandler.Timeouts timeouts = new ReadDeadlineHandler.Timeouts(registry);
    private EmbeddedChannel ch;

    @AfterEach
    void drain() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
    }

    /** Gate, deadline, then {@code rest}; the clock frozen so that only {@link #advance} moves it. */
    private EmbeddedChannel channel(io.netty.channel.ChannelHandler... rest) {
        ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(ReadGateHandler.NAME, new ReadGateHandler(gate, new BadRequests(registry)))
                .addLast(ReadDeadlineHandler.NAME, new ReadDeadlineHandler(GRACE_MILLIS, MIN_RATE, timeouts));
        ch.pipeline().addLast(rest);
        return ch;
    }

    /** Moves the clock in 1 ms steps: a task scheduled by a task counts its delay from when that one ran. */
    private void advance(long millis) {
        for (long i = 0; i < millis; i++) {
            ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
            ch.runScheduledPendingTasks();
            ch.runPendingTasks();
        }
    }

    private void send(int bytes) {
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[bytes]));
    }

    private void send(String text) {
        ch.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    }

    private double timedOut(String phase) {
        Counter c = registry.find("catflap.requests.read_timeout").tag("phase", phase).counter();
        return c == null ? 0 : c.count();
    }

    /** Stands for a protocol decoder: drops bytes, and a request is read once {@code n} bytes came. */
    private static final class RequestOf extends ChannelInboundHandlerAdapter {
        private final int n;
        private int seen;

        RequestOf(int n) {
            this.n = n;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            seen += ((ByteBuf) msg).readableBytes();
            ReferenceCountUtil.release(msg);
            if (seen >= n) {
                seen = 0;
                ReadGateHandler.requestRead(ctx);
            }
        }
    }

    @Test
    void aOneByteStallerLosesItsPermitAndConnectionAfterTheGracePeriod() {
        channel(new RequestOf(100));
        send(1);
        assertEquals(1, gate.inUse());
        advance(GRACE_MILLIS - 1);
        assertTrue(ch.isActive(), "within the grace period");
        advance(20);  // 1 byte at 100 B/s buys 10 ms
        assertFalse(ch.isActive());
        assertEquals(0, gate.inUse(), "the permit came back");
        assertEquals(1, timedOut("head"));
        assertEquals(0, timedOut("body"));
    }

    @Test
    void eachByteExtendsTheDeadlineByItsShareOfTheMinimumRate() {
        channel(new RequestOf(1_000));
        send(50);                 // deadline: 1 s + 0.5 s
        advance(1_400);
        send(100);                // 1.5 s + 1 s = 2.5 s
        advance(1_050);
        assertTrue(ch.isActive(), "at 2.45 s a sender at the minimum rate is still read");
        advance(100);
        assertFalse(ch.isActive());
        assertEquals(0, gate.inUse());
    }

    @Test
    void aRequestReadInTimeKeepsNoDeadline() {
        channel(new RequestOf(10));
        send(10);
        assertEquals(0, gate.inUse());
        advance(60_000);
        assertTrue(ch.isActive(), "between requests only the idle timeout applies");
        send(5);                  // the next request gets a deadline of its own
        advance(GRACE_MILLIS + 100);
        assertFalse(ch.isActive());
        assertEquals(1, timedOut("head"));
    }

    @Test
    void aRequestStartedJustBeforeAnEarlierRequestsCheckStillGetsItsWholeGracePeriod() {
        channel(new RequestOf(10));
        send(10);                 // read at once; its check stays due at 1 s
        advance(900);
        send(5);                  // deadline: 0.9 s + 1 s + 0.05 s
        advance(1_000);
        assertTrue(ch.isActive(), "at 1.9 s: the check at 1 s found the new request early and waited");
        advance(100);
        assertFalse(ch.isActive());
        assertEquals(1, timedOut("head"));
    }

    @Test
    void aStallAfterALongRequestIsCutOffAtItsOwnGracePeriod() {
        channel(new RequestOf(1_000));
        send(999);                // deadline 1 s + 9.99 s: the check moves to 10.99 s
        advance(1_100);
        send(1);                  // read
        send(5);                  // the next request stalls: it must not wait for that check
        advance(GRACE_MILLIS + 100);
        assertFalse(ch.isActive());
        assertEquals(1, timedOut("head"));
    }

    @Test
    void timeWithAutoReadOffDoesNotCount() {
        channel(new RequestOf(100));
        send(1);
        ch.config().setAutoRead(false);       // e.g. a streamed insert waits for its upstream
        advance(10 * GRACE_MILLIS);
        assertTrue(ch.isActive(), "held back by the server, not the sender");
        ch.config().setAutoRead(true);
        advance(2 * GRACE_MILLIS);
        assertFalse(ch.isActive());
    }

    @Test
    void anHttpSenderTooSlowWithItsHeadGets408WithClickHouseText() {
        channel(new HttpServerCodec(), new PipelineDepthHandler(new PipelineShare(PipelineShare.DEFAULT_BUDGET)), new IdleTimeoutHandler(600_000, Counter.builder("idle").register(registry)));
        send("POST /?query=INSERT HTTP/1.1\r\nHost: x\r\nCont");
        advance(2 * GRACE_MILLIS);
        ByteBuf out = ch.readOutbound();
        String answer = out.toString(StandardCharsets.UTF_8);
        out.release();
        assertTrue(answer.startsWith("HTTP/1.1 408 Request Timeout\r\n"), answer);
        assertTrue(answer.contains("Connection: close"), answer);
        assertTrue(answer.contains("\r\n\r\nCode: 209, "), answer);
        assertFalse(ch.isActive());
        assertEquals(1, timedOut("head"));
        assertEquals(0, gate.inUse());
    }

    @Test
    void anHttpBodyGetsADeadlineOfItsOwnOnceTheHeadIsRead() {
        channel(new HttpServerCodec(), new PipelineDepthHandler(new PipelineShare(PipelineShare.DEFAULT_BUDGET)), new IdleTimeoutHandler(600_000, Counter.builder("idle").register(registry)),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        if (msg instanceof LastHttpContent) {
                            ReadGateHandler.requestRead(ctx);
                        }
                        ReferenceCountUtil.release(msg);
                    }
                });
        send("POST / HTTP/1.1\r\nHost: x\r\n");               // head deadline: 1 s + 0.26 s
        advance(900);
        send("Content-Length: 1000\r\n\r\n");                    // head read at 0.9 s: body until 1.9 s
        advance(900);
        assertTrue(ch.isActive(), "at 1.8 s: the body phase started its own grace period");
        advance(200);
        assertFalse(ch.isActive());
        assertEquals(0, timedOut("head"));
        assertEquals(1, timedOut("body"));
        ByteBuf out = ch.readOutbound();
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("HTTP/1.1 408"));
        out.release();
    }

    @Test
    void aConnectionWhoseAnswersAreNotReadIsNotReadAndClosedAfterTheTimeout() {
        Counter closed = Counter.builder("unwritable").register(registry);
        channel(new UnwritableTimeoutHandler(5_000, closed));
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
        ch.write(Unpooled.wrappedBuffer(new byte[32]));   // queued, not flushed: over the high water mark
        assertFalse(ch.isWritable());
        assertFalse(ch.config().isAutoRead(), "not read while its answers pile up");
        ch.flush();                                        // the peer read them
        assertTrue(ch.isWritable());
        assertTrue(ch.config().isAutoRead(), "read again once they drained");
        ReferenceCountUtil.release(ch.readOutbound());
        advance(10_000);
        assertTrue(ch.isActive());
        ch.write(Unpooled.wrappedBuffer(new byte[32]));
        advance(4_900);
        assertTrue(ch.isActive());
        advance(200);
        assertFalse(ch.isActive());
        assertEquals(1, closed.count());
    }
}
