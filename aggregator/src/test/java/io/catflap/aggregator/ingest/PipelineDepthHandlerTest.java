package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.protocol.RequestFrame;
import io.catflap.protocol.ResponseFrame;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

/** A connection that pipelines requests and does not read their answers stops being read at the cap. */
class PipelineDepthHandlerTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void readingStopsAtTheCapAndResumesWhenHalfWereAnswered() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(new ReadGateHandler(new ReadGate(1, 1 << 20, () -> false, registry),
                new BadRequests(registry)), new PipelineDepthHandler());
        for (int i = 1; i < PipelineDepthHandler.MAX_UNANSWERED; i++) {
            ch.writeInbound(frame());
        }
        assertTrue(ch.config().isAutoRead(), "below the cap");
        ch.writeInbound(frame());
        assertFalse(ch.config().isAutoRead(), "at the cap: not read");
        ch.config().setAutoRead(true);   // another handler turning reading on
        ch.writeInbound(frame());        // what one more read brought
        assertFalse(ch.config().isAutoRead(), "still not read");

        for (int i = 0; i < PipelineDepthHandler.MAX_UNANSWERED / 2; i++) {
            ch.writeOutbound(ResponseFrame.OK);
            assertFalse(ch.config().isAutoRead(), "answer " + i + ": more than half still unanswered");
        }
        ch.writeOutbound(ResponseFrame.OK);
        assertTrue(ch.config().isAutoRead(), "half answered: read again");
        for (Object o; (o = ch.readInbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
        assertEquals(PipelineDepthHandler.MAX_UNANSWERED / 2 + 1, ch.outboundMessages().size());
        ch.finishAndReleaseAll();
    }

    private static RequestFrame frame() {
        return new RequestFrame(0, "db.t(a)", Unpooled.copiedBuffer(new byte[] {'(', '1', ')'}));
    }
}
