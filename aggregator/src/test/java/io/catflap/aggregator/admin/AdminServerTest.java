package io.catflap.aggregator.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AdminServerTest {

    private static final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private static final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private static final AtomicBoolean healthy = new AtomicBoolean(true);
    private static final AtomicLong rows = new AtomicLong();
    private static AdminServer admin;

    /** A stand-in for the aggregator's status, shaped as {@link StatusSource} documents. */
    private static final StatusSource status = new StatusSource() {
        @Override
        public Map<String, Object> snapshot() {
            return Map.of(
                    "connections", Map.of("open", 3, "reading", 1, "waiting", 0, "idle", 2),
                    "tables", List.of(Map.of("table", "db.events", "rowsIn", rows.get(), "bytesIn", rows.get() * 8,
                            "openBatchBytes", 4096)),
                    "recentErrors", List.of());
        }

        @Override
        public boolean healthy() {
            return healthy.get();
        }
    };

    @BeforeAll
    static void start() throws Exception {
        AdminServer.bindJvmMetrics(registry);
        Counter.builder("catflap.rows.in").tag("table", "db.events").register(registry).increment(7);
        admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), group, registry, status);
    }

    @AfterAll
    static void stop() {
        admin.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return Fetch.get(URI.create("http://127.0.0.1:" + admin.port() + path));
    }

    @Test
    void metricsArePrometheusTextWithProcessAndOwnMeters() throws Exception {
        HttpResponse<String> r = get("/metrics");
        assertEquals(200, r.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("content-type").orElseThrow());
        String body = r.body();
        assertTrue(body.contains("catflap_rows_in_total{table=\"db.events\"} 7.0"), body);
        for (String meter : List.of("jvm_memory_used_bytes", "jvm_gc_memory_allocated_bytes",
                "jvm_threads_live_threads", "process_cpu_usage", "process_uptime_seconds", "process_files_open_files",
                "process_resident_memory_bytes", "netty_allocator_memory_used_bytes")) {
            assertTrue(body.contains("\n" + meter), meter + " missing from:\n" + body);
        }
        Matcher rss = Pattern.compile("\nprocess_resident_memory_bytes (\\S+)").matcher(body);
        assertTrue(rss.find());
        assertTrue(Double.parseDouble(rss.group(1)) > 10e6, "a JVM's RSS is more than 10 MB: " + rss.group(1));
    }

    @Test
    void healthFollowsTheSource() throws Exception {
        HttpResponse<String> ok = get("/health");
        assertEquals(200, ok.statusCode());
        assertEquals("ok\n", ok.body());
        healthy.set(false);
        try {
            HttpResponse<String> bad = get("/health");
            assertEquals(503, bad.statusCode());
            assertEquals("unhealthy\n", bad.body());
        } finally {
            healthy.set(true);
        }
    }

    @Test
    void statusIsTheSnapshotAsJsonWithRates() throws Exception {
        rows.set(1000);
        HttpResponse<String> r = get("/status");
        assertEquals(200, r.statusCode());
        assertEquals("application/json; charset=utf-8", r.headers().firstValue("content-type").orElseThrow());
        Map<?, ?> json = (Map<?, ?>) JsonParser.parse(r.body());
        assertEquals(Map.of("open", 3L, "reading", 1L, "waiting", 0L, "idle", 2L), json.get("connections"));
        Map<?, ?> table = (Map<?, ?>) ((List<?>) json.get("tables")).get(0);
        assertEquals("db.events", table.get("table"));
        assertEquals(1000L, table.get("rowsIn"));
        assertEquals(4096L, table.get("openBatchBytes"));
        assertTrue(table.containsKey("rowsPerSecond") && table.containsKey("bytesPerSecond"), table.toString());
    }

    @Test
    void statusPageIsSelfContained() throws Exception {
        for (String path : List.of("/", "/status.html")) {
            HttpResponse<String> r = get(path);
            assertEquals(200, r.statusCode());
            assertEquals("text/html; charset=utf-8", r.headers().firstValue("content-type").orElseThrow());
            String page = r.body();
            assertTrue(page.contains("fetch(\"status\""), "polls /status");
            assertFalse(Pattern.compile("(src|href)\\s*=").matcher(page).find(), "no external assets");
            assertFalse(page.contains("http://") || page.contains("https://"), "no external URLs");
        }
    }

    @Test
    void unknownPathsAndMethodsAreRefused() throws Exception {
        HttpResponse<String> missing = get("/nope");
        assertEquals(404, missing.statusCode());
        assertTrue(missing.body().contains("/status.html"), missing.body());
        HttpResponse<String> post = Fetch.post(URI.create("http://127.0.0.1:" + admin.port() + "/metrics"), "x");
        assertEquals(405, post.statusCode());
    }
}
