package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PipelinedRequestGateTest {
    private final AtomicInteger reads = new AtomicInteger();
    private final EmbeddedChannel ch = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
        @Override
        public void read(ChannelHandlerContext ctx) {
            reads.incrementAndGet();
            ctx.read();
        }
    }, new PipelinedRequestGate());

    private static HttpRequest request(String uri) {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri);
    }

    private static HttpContent body(String text) {
        return new DefaultLastHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    }

    @Test
    void aPipelinedRequestWaitsForTheWholeAnswerBeforeIt() {
        ch.writeInbound(request("/first"), body("1"), request("/second"), body("2"));
        assertEquals("/first", ((HttpRequest) ch.readInbound()).uri());
        ((HttpContent) ch.readInbound()).release();
        assertNull(ch.readInbound(), "the second request is held while the first is unanswered");
        assertFalse(ch.config().isAutoRead(), "and the connection is not read");

        int before = reads.get();
        ch.read();
        assertEquals(before, reads.get(), "nothing more is read while a request is held");

        ch.writeOutbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        ch.writeOutbound(new DefaultHttpContent(Unpooled.copiedBuffer("part", StandardCharsets.US_ASCII)));
        ch.runPendingTasks();
        assertNull(ch.readInbound(), "a streamed answer is not over before its last content");

        ch.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);
        ch.runPendingTasks();
        assertEquals("/second", ((HttpRequest) ch.readInbound()).uri());
        ((HttpContent) ch.readInbound()).release();
        assertTrue(ch.config().isAutoRead(), "reading resumes once released");
        assertTrue(reads.get() > before);
        releaseOutbound();
        assertFalse(ch.finish());
    }

    @Test
    void aContinueIsNotTheAnswer() {
        ch.writeInbound(request("/first"), request("/second"));
        ch.readInbound();
        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        ch.runPendingTasks();
        assertNull(ch.readInbound());
        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        ch.runPendingTasks();
        assertInstanceOf(HttpRequest.class, ch.readInbound());
        releaseOutbound();
        assertFalse(ch.finish());
    }

    @Test
    void heldMessagesAreReleasedWhenTheConnectionCloses() {
        HttpContent held = body("held");
        ch.writeInbound(request("/first"), request("/second"), held);
        ch.readInbound();
        assertEquals(1, held.refCnt());
        ch.close();
        assertEquals(0, held.refCnt());
        releaseOutbound();
    }

    private void releaseOutbound() {
        for (Object o; (o = ch.readOutbound()) != null; ) {
            io.netty.util.ReferenceCountUtil.release(o);
        }
    }
}
