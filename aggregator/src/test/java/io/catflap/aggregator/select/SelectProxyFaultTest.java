package io.catflap.aggregator.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The select path against a fake upstream that is slow, holds requests or breaks mid-answer. */
class SelectProxyFaultTest {

    private static FullHttpResponse text(String body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        HttpUtil.setContentLength(r, r.content().readableBytes());
        return r;
    }

    private static String query(String uri) {
        return new QueryStringDecoder(uri).parameters().get("query").get(0);
    }

    @Test
    void requestsBeyondMaxSelectsWaitInOrderForASlot() throws Exception {
        ConcurrentLinkedQueue<ChannelHandlerContext> held = new ConcurrentLinkedQueue<>();
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        List<String> order = new CopyOnWriteArrayList<>();
        try (FakeUpstream fake = new FakeUpstream((ctx, req) -> {
            maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            order.add(query(req.uri()));
            held.add(ctx); // answered later, by the test
        });
             SelectProxyRig rig = new SelectProxyRig(fake.url(), 2)) {
            ExecutorService clients = Executors.newFixedThreadPool(5);
            try {
                List<Future<RawHttp.Response>> answers = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    int n = i;
                    answers.add(clients.submit(() -> {
                        try (RawHttp http = new RawHttp(rig.port())) {
                            return http.get("/?query=q" + n);
                        }
                    }));
                    // Arrival order is the queue order; let each request reach the proxy before the next.
                    Waits.until("request " + n + " is in flight or queued",
                            () -> rig.upstream.inFlight() + rig.upstream.queued() == n + 1);
                }
                Waits.until("two requests upstream", () -> held.size() == 2);
                assertEquals(3, rig.upstream.queued());
                assertEquals(3.0, rig.registry.get("catflap.upstream.queued").tag("pool", "select").gauge().value());
                Thread.sleep(200); // nothing else gets through while both slots are held
                assertEquals(2, fake.requests.get());

                for (int answered = 0; answered < 5; answered++) {
                    // One answer at a time, each after the freed slot was taken, so arrival order is queue order.
                    int expectHeld = Math.min(2, 5 - answered);
                    Waits.until(expectHeld + " held requests", () -> held.size() == expectHeld);
                    ChannelHandlerContext ctx = held.poll();
                    concurrent.decrementAndGet();
                    ctx.writeAndFlush(text("done\n"));
                }
                for (Future<RawHttp.Response> a : answers) {
                    RawHttp.Response r = a.get(30, TimeUnit.SECONDS);
                    assertEquals(200, r.status());
                    assertEquals("done\n", r.text());
                }
                assertEquals(2, maxConcurrent.get(), "never more than max-selects requests upstream");
                assertEquals(List.of("q0", "q1", "q2", "q3", "q4"), order);
                assertEquals(2, fake.connections(), "the two upstream connections were reused");
            } finally {
                clients.shutdownNow();
            }
        }
    }

    @Test
    void sequentialRequestsReuseOneUpstreamConnection() throws Exception {
        try (FakeUpstream fake = new FakeUpstream((ctx, req) -> ctx.writeAndFlush(text(query(req.uri()))));
             SelectProxyRig rig = new SelectProxyRig(fake.url(), 4);
             RawHttp http = new RawHttp(rig.port())) {
            for (int i = 0; i < 10; i++) {
                assertEquals(Integer.toString(i), http.get("/?query=" + i).text());
            }
            assertEquals(1, fake.connections());
        }
    }

    @Test
    void upstreamClosingMidAnswerClosesTheClientConnection() throws Exception {
        try (FakeUpstream fake = new FakeUpstream((ctx, req) -> {
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            HttpUtil.setTransferEncodingChunked(head, true);
            ctx.write(head);
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer("1\n2\n", StandardCharsets.UTF_8)))
                    .addListener(ChannelFutureListener.CLOSE);
        });
             SelectProxyRig rig = new SelectProxyRig(fake.url(), 1);
             RawHttp http = new RawHttp(rig.port())) {
            http.send("GET /?query=x HTTP/1.1\nHost: t", new byte[0]);
            assertTrue(http.closedByPeer(30_000), "a truncated answer ends the client connection");
            Waits.until("the failure is counted", () -> rig.failures("upstream_closed") == 1.0);
            Waits.until("the slot is free", () -> rig.upstream.inFlight() == 0);
        }
    }

    @Test
    void aGetWhoseConnectionDiesUnansweredIsTriedOnceMore() throws Exception {
        AtomicInteger seen = new AtomicInteger();
        try (FakeUpstream fake = new FakeUpstream((ctx, req) -> {
            if (seen.incrementAndGet() == 1) {
                ctx.close(); // as a pooled connection that died under the request
            } else {
                ctx.writeAndFlush(text("second try\n"));
            }
        });
             SelectProxyRig rig = new SelectProxyRig(fake.url(), 1);
             RawHttp http = new RawHttp(rig.port())) {
            RawHttp.Response r = http.get("/?query=x");
            assertEquals(200, r.status());
            assertEquals("second try\n", r.text());
            assertEquals(1.0, rig.registry.get("catflap.select.retries").counter().count());
        }
    }

    @Test
    void upstreamClosingBeforeAnsweringIsA502() throws Exception {
        try (FakeUpstream fake = new FakeUpstream((ctx, req) -> ctx.close());
             SelectProxyRig rig = new SelectProxyRig(fake.url(), 1);
             RawHttp http = new RawHttp(rig.port())) {
            RawHttp.Response r = http.get("/?query=x");
            assertEquals(502, r.status());
            assertTrue(r.text().contains("failed before answering"), r.text());
            assertEquals(2, fake.requests.get(), "a GET is tried twice");
            // Keep-alive survives; a request with a body is not repeated.
            http.send("POST / HTTP/1.1\nHost: t", "SELECT 1".getBytes(StandardCharsets.UTF_8));
            assertEquals(502, http.read().status());
            assertEquals(3, fake.requests.get());
        }
    }

    @Test
    void everyQueryGoesUpstreamWithAQueryIdOtherRequestsUnchanged() throws Exception {
        try (FakeUpstream fake = new FakeUpstream((ctx, req) -> ctx.writeAndFlush(text(req.uri())));
             SelectProxyRig rig = new SelectProxyRig(fake.url(), 1);
             RawHttp http = new RawHttp(rig.port())) {
            assertEquals("/ping", http.get("/ping").text());
            assertEquals("/", http.get("/").text());
            assertEquals("/?query=1&query_id=mine", http.get("/?query=1&query_id=mine").text());
            assertTrue(http.get("/?query=1").text().startsWith("/?query=1&query_id=catflap-"));
            http.send("POST / HTTP/1.1\nHost: t", "SELECT 1".getBytes(StandardCharsets.UTF_8));
            assertTrue(http.read().text().startsWith("/?query_id=catflap-"));
        }
    }

    @Test
    void aClientLeavingMidQueryGetsItKilledAndHoldsItsSlotUntilTheKillIsAnswered() throws Exception {
        CompletableFuture<String> slowUri = new CompletableFuture<>();
        CompletableFuture<String> killSql = new CompletableFuture<>();
        CompletableFuture<ChannelHandlerContext> kill = new CompletableFuture<>();
        try (FakeUpstream fake = new FakeUpstream((ctx, req) -> {
            String body = req.content().toString(StandardCharsets.UTF_8);
            if (body.startsWith("KILL")) {
                killSql.complete(body);
                kill.complete(ctx); // answered later, by the test
            } else if (req.uri().contains("slow")) {
                slowUri.complete(req.uri()); // never answered: a query that computes silently
            } else {
                ctx.writeAndFlush(text("next\n"));
            }
        });
             SelectProxyRig rig = new SelectProxyRig(fake.url(), 1)) {
            try (RawHttp http = new RawHttp(rig.port())) {
                http.send("GET /?query=slow HTTP/1.1\nHost: t", new byte[0]);
                slowUri.get(30, TimeUnit.SECONDS);
            }
            String queryId = new QueryStringDecoder(slowUri.get()).parameters().get("query_id").get(0);
            assertEquals("KILL QUERY WHERE query_id = '" + queryId + "' SYNC", killSql.get(30, TimeUnit.SECONDS));
            assertEquals(1.0, rig.registry.get("catflap.select.kills").counter().count());

            try (RawHttp http = new RawHttp(rig.port())) {
                http.send("GET /?query=next HTTP/1.1\nHost: t", new byte[0]);
                Waits.until("the next query waits for the slot", () -> rig.upstream.queued() == 1);
                assertEquals(1, rig.upstream.inFlight(), "the slot is held while the killed query may still run");
                assertEquals(2, fake.requests.get(), "the next query was not sent meanwhile");
                kill.get().writeAndFlush(text(""));
                assertEquals("next\n", http.read().text());
            }
            assertEquals(1.0, rig.failures("client_closed"));
        }
    }
}
