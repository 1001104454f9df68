package io.catflap.aggregator.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.FakeClickHouse;
import io.catflap.aggregator.FakeClickHouse.Answer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The upstream timeout bounds how long an exchange makes no progress, not how long it lasts. */
class UpstreamExchangeTest {
    private static final long TIMEOUT_MILLIS = 1_000;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private FakeClickHouse upstream;
    private UpstreamPool pool;

    @AfterEach
    void tearDown() {
        pool.close();
        upstream.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private UpstreamExchange.Stream open() throws Exception {
        upstream = new FakeClickHouse(r -> Answer.ok(0));
        pool = new UpstreamPool("insert", upstream.url(), null, 1, group, new SimpleMeterRegistry());
        UpstreamExchange http = new UpstreamExchange(pool, upstream.url(), TIMEOUT_MILLIS);
        return http.open("/?query=INSERT", null, null, Map.of()).get(30, TimeUnit.SECONDS);
    }

    @Test
    void aStreamedBodyThatKeepsFlowingOutlivesTheTimeout() throws Exception {
        UpstreamExchange.Stream s = open();
        StringBuilder sent = new StringBuilder();
        // Four timeouts' worth of body, a chunk every tenth of one.
        for (int i = 0; i < 40; i++) {
            String chunk = "(" + i + ")";
            sent.append(chunk);
            s.write(Unpooled.copiedBuffer(chunk, StandardCharsets.UTF_8));
            Thread.sleep(TIMEOUT_MILLIS / 10);
        }
        s.end();
        UpstreamReply r = s.reply().get(30, TimeUnit.SECONDS);
        assertTrue(r.ok(), r.message());
        assertEquals(sent.toString(), upstream.committed().get(0));
    }

    @Test
    void aStreamThatStallsFailsOnceNothingMovedForTheTimeout() throws Exception {
        UpstreamExchange.Stream s = open();
        s.write(Unpooled.copiedBuffer("(1)", StandardCharsets.UTF_8));
        UpstreamReply r = s.reply().get(30, TimeUnit.SECONDS);
        assertEquals(0, r.status());
        assertTrue(r.message().contains("no progress"), r.message());
        assertTrue(upstream.committed().isEmpty());
    }
}
