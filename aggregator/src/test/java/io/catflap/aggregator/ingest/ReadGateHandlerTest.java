package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Small requests are read without a permit, out of a byte budget: a connection that stalls after a few bytes holds
 * those bytes, not one of the permits that larger requests need.
 */
class ReadGateHandlerTest {
    private static final int BUDGET = 64 << 10;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ReadGate gate = new ReadGate(1, BUDGET, () -> false, registry);
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void close() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    /** A connection whose decoder stand-in counts the bytes it saw and says a request was read at {@code n}. */
    private EmbeddedChannel connection(int requestBytes, AtomicInteger seen) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(ReadGateHandler.NAME, new ReadGateHandler(gate, new BadRequests(registry)))
                .addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        if (seen.addAndGet(((ByteBuf) msg).readableBytes()) % requestBytes == 0) {
                            ReadGateHandler.requestRead(ctx);
                        }
                        ReferenceCountUtil.release(msg);
                    }
                });
        channels.add(ch);
        return ch;
    }

    private static ByteBuf bytes(int n) {
        return Unpooled.wrappedBuffer(new byte[n]);
    }

    @Test
    void stalledSmallRequestsHoldBytesNotThePermit() {
        AtomicInteger stalledSeen = new AtomicInteger();
        for (int i = 0; i < 100; i++) {   // a hundred senders that stop after one byte of a request
            connection(1000, stalledSeen).writeInbound(bytes(1));
        }
        assertEquals(100, stalledSeen.get(), "their bytes went on to the decoders");
        assertEquals(0, gate.inUse(), "no permit taken");
        assertEquals(100, gate.freeHeld());

        AtomicInteger bigSeen = new AtomicInteger();
        EmbeddedChannel big = connection(ReadGateHandler.FREE_REQUEST_BYTES * 4, bigSeen);
        big.writeInbound(bytes(ReadGateHandler.FREE_REQUEST_BYTES));
        big.writeInbound(bytes(ReadGateHandler.FREE_REQUEST_BYTES));
        assertEquals(1, gate.inUse(), "a large request got the permit beside them");
        assertEquals(2 * ReadGateHandler.FREE_REQUEST_BYTES, bigSeen.get());
        big.writeInbound(bytes(ReadGateHandler.FREE_REQUEST_BYTES * 2));
        assertEquals(0, gate.inUse(), "read: its permit went back");
        assertEquals(100, gate.freeHeld(), "and its free bytes");

        channels.get(0).close();
        assertEquals(99, gate.freeHeld(), "a closed connection gives its bytes back");
    }

    @Test
    void aRequestThatOutgrowsTheFreeSizeWaitsForThePermit() {
        AtomicInteger holderSeen = new AtomicInteger();
        EmbeddedChannel holder = connection(ReadGateHandler.FREE_REQUEST_BYTES * 4, holderSeen);
        holder.writeInbound(bytes(ReadGateHandler.FREE_REQUEST_BYTES + 1));
        assertEquals(1, gate.inUse());

        AtomicInteger seen = new AtomicInteger();
        EmbeddedChannel waiter = connection(ReadGateHandler.FREE_REQUEST_BYTES * 2, seen);
        waiter.writeInbound(bytes(ReadGateHandler.FREE_REQUEST_BYTES));
        assertEquals(ReadGateHandler.FREE_REQUEST_BYTES, seen.get(), "its first bytes were read without a permit");
        waiter.writeInbound(bytes(ReadGateHandler.FREE_REQUEST_BYTES));
        assertEquals(ReadGateHandler.FREE_REQUEST_BYTES, seen.get(), "the rest waits for the permit");
        assertFalse(waiter.config().isAutoRead(), "in the kernel");

        holder.writeInbound(bytes(3 * ReadGateHandler.FREE_REQUEST_BYTES - 1));   // the holder's request is read
        waiter.runPendingTasks();
        assertEquals(2 * ReadGateHandler.FREE_REQUEST_BYTES, seen.get(), "the permit passed on");
        assertTrue(waiter.config().isAutoRead());
        assertEquals(0, gate.inUse());
        assertEquals(0, gate.freeHeld());
    }

    @Test
    void whenTheBudgetIsSpentRequestsNeedThePermit() {
        ReadGate small = new ReadGate(1, 10, () -> false, registry);
        EmbeddedChannel ch = new EmbeddedChannel(new ReadGateHandler(small, new BadRequests(registry)));
        channels.add(ch);
        ch.writeInbound(bytes(11));
        assertEquals(1, small.inUse(), "over the budget: a permit");
        assertEquals(0, small.freeHeld());
    }
}
