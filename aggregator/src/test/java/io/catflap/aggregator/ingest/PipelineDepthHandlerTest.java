package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.protocol.RequestFrame;
import io.catflap.protocol.ResponseFrame;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

/**
 * A connection that pipelines requests gets at most its fair share passed on; the rest waits, with reading off,
 * until answers make room.
 */
class PipelineDepthHandlerTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void aloneAConnectionPipelinesUpToTheCapAndTheRestWaits() {
        PipelineShare share = new PipelineShare(PipelineShare.DEFAULT_BUDGET);
        EmbeddedChannel ch = channel(share);
        for (int i = 0; i < PipelineDepthHandler.MAX_UNANSWERED; i++) {
            ch.writeInbound(frame(i));
        }
        assertTrue(ch.config().isAutoRead(), "up to the cap: read on");
        ch.writeInbound(frame(PipelineDepthHandler.MAX_UNANSWERED));
        ch.writeInbound(frame(PipelineDepthHandler.MAX_UNANSWERED + 1));
        assertFalse(ch.config().isAutoRead(), "past the cap: not read");
        assertEquals(PipelineDepthHandler.MAX_UNANSWERED, drainInbound(ch, 0), "only the cap was passed on");
        assertEquals(1, share.answering());

        ch.config().setAutoRead(true);   // another handler turning reading on
        ch.writeOutbound(ResponseFrame.OK);
        assertEquals(1, drainInbound(ch, PipelineDepthHandler.MAX_UNANSWERED),
                "one answer lets one held request through, in order");
        assertFalse(ch.config().isAutoRead(), "one is still held");
        ch.writeOutbound(ResponseFrame.OK);
        assertEquals(1, drainInbound(ch, PipelineDepthHandler.MAX_UNANSWERED + 1));
        assertTrue(ch.config().isAutoRead(), "nothing held: read again");
        answerAll(ch, PipelineDepthHandler.MAX_UNANSWERED);
        assertNull(ch.readInbound());
        assertEquals(0, share.answering(), "all answered: no longer takes a share");
        ch.finishAndReleaseAll();
    }

    @Test
    void amongManySendersAFloodingConnectionGetsOneRequestInFlight() {
        PipelineShare share = new PipelineShare(4);
        EmbeddedChannel[] waiting = new EmbeddedChannel[4];
        for (int i = 0; i < waiting.length; i++) {   // senders doing one request at a time
            waiting[i] = channel(share);
            waiting[i].writeInbound(frame(i));
            drainInbound(waiting[i], i);
        }
        assertEquals(4, share.answering());
        assertEquals(1, share.depth(), "budget 4 over 4 connections");

        EmbeddedChannel flood = channel(share);
        for (int i = 0; i < 10; i++) {
            flood.writeInbound(frame(100 + i));
        }
        assertEquals(1, drainInbound(flood, 100), "one passed on, nine held");
        assertFalse(flood.config().isAutoRead());
        flood.writeOutbound(ResponseFrame.OK);
        assertEquals(1, drainInbound(flood, 101), "its answer lets exactly one more through");

        for (EmbeddedChannel w : waiting) {   // the others are answered and leave the share
            answerAll(w, 1);
        }
        assertEquals(1, share.answering());
        flood.writeOutbound(ResponseFrame.OK);
        assertEquals(4, drainInbound(flood, 102), "alone again: the whole budget");
        assertFalse(flood.config().isAutoRead());
        answerAll(flood, 4);
        assertEquals(4, drainInbound(flood, 106), "the rest");
        assertTrue(flood.config().isAutoRead(), "nothing held: read again");
        flood.finishAndReleaseAll();
    }

    @Test
    void closingReleasesWhatWasHeldAndLeavesTheShare() {
        PipelineShare share = new PipelineShare(1);
        EmbeddedChannel ch = channel(share);
        RequestFrame held = frame(1);
        ch.writeInbound(frame(0), held);
        assertEquals(1, drainInbound(ch, 0));
        assertEquals(1, share.answering());
        ch.close();
        assertEquals(0, held.refCnt(), "the held frame was released");
        assertEquals(0, share.answering());
        ch.pipeline().writeAndFlush(ResponseFrame.OK);   // the late answer of the passed request does not leave twice
        assertEquals(0, share.answering());
        ch.finishAndReleaseAll();
    }

    private EmbeddedChannel channel(PipelineShare share) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(new ReadGateHandler(new ReadGate(1, 1 << 20, () -> false, registry),
                new BadRequests(registry)), new PipelineDepthHandler(share));
        return ch;
    }

    /** Reads what was passed on, checking it continues the sequence from {@code first}; returns how many. */
    private static int drainInbound(EmbeddedChannel ch, int first) {
        int n = 0;
        for (Object o; (o = ch.readInbound()) != null; n++) {
            RequestFrame f = assertInstanceOf(RequestFrame.class, o);
            assertEquals("db.t" + (first + n) + "(a)", f.table(), "in order");
            ReferenceCountUtil.release(f);
        }
        return n;
    }

    private static void answerAll(EmbeddedChannel ch, int n) {
        for (int i = 0; i < n; i++) {
            ch.writeOutbound(ResponseFrame.OK);
        }
    }

    private static RequestFrame frame(int i) {
        return new RequestFrame(0, "db.t" + i + "(a)", Unpooled.copiedBuffer(new byte[] {'(', '1', ')'}));
    }
}
