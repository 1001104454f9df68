package io.catflap.aggregator.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.Aggregator;
import io.catflap.aggregator.AggregatorConfig;
import io.catflap.aggregator.TestHttp;
import io.catflap.aggregator.select.Waits;
import io.catflap.testkit.ClickHouseServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The admin port of a real aggregator in front of the real ClickHouse, read after real inserts. */
class AdminServerTest {
    private static final int MAX_INSERTS = 3;
    private static ClickHouseServer ch;
    private static Aggregator agg;

    @BeforeAll
    static void start() throws Exception {
        ch = ClickHouseServer.shared();
        // as the command line starts it: process meters beside the aggregator's own
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AdminServer.bindJvmMetrics(registry);
        agg = Aggregator.start(new AggregatorConfig().listen(new InetSocketAddress("127.0.0.1", 0))
                .admin(new InetSocketAddress("127.0.0.1", 0)).clickhouse(ch.httpUrl()).flushIntervalMillis(50)
                .maxInserts(MAX_INSERTS), registry);
    }

    @AfterAll
    static void stop() {
        agg.close();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return TestHttp.get(URI.create("http://127.0.0.1:" + agg.adminPort() + path));
    }

    private static HttpResponse<String> insert(String table, String values) throws Exception {
        return TestHttp.post(URI.create("http://127.0.0.1:" + agg.port() + "/?query="
                + URLEncoder.encode("INSERT INTO " + table + " (a, s) VALUES", StandardCharsets.UTF_8)), values);
    }

    /** Inserts 2, 3 and 5 rows in three requests; returns the bytes sent. */
    private static int insertTenRows(String table) throws Exception {
        int bytes = 0;
        for (String values : List.of("(1,'a'),(2,'b')", "(3,'c'),(4,'d'),(5,'e')",
                "(6,'f'),(7,'g'),(8,'h'),(9,'i'),(10,'j')")) {
            HttpResponse<String> r = insert(table, values);
            assertEquals(200, r.statusCode(), r.body());
            bytes += values.length();
        }
        assertEquals(10, ch.count(table), "rows in ClickHouse");
        return bytes;
    }

    private static Map<?, ?> status() throws Exception {
        HttpResponse<String> r = get("/status");
        assertEquals(200, r.statusCode());
        assertEquals("application/json; charset=utf-8", r.headers().firstValue("content-type").orElseThrow());
        return (Map<?, ?>) JsonParser.parse(r.body());
    }

    private static Map<?, ?> tableStatus(Map<?, ?> status, String table) {
        return ((List<?>) status.get("tables")).stream().map(t -> (Map<?, ?>) t)
                .filter(t -> table.equals(t.get("table"))).findFirst()
                .orElseThrow(() -> new AssertionError(table + " missing from " + status));
    }

    @Test
    void metricsCountTheRowsThatArrivedBesideProcessMeters() throws Exception {
        String table = ch.createTable("admin_metrics", "a UInt32, s String");
        int bytes = insertTenRows(table);
        HttpResponse<String> r = get("/metrics");
        assertEquals(200, r.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("content-type").orElseThrow());
        String body = r.body();
        String tag = "{table=\"" + table + "\"}";
        assertTrue(body.contains("\ncatflap_ingest_rows_total" + tag + " 10.0\n"), body);
        assertTrue(body.contains("\ncatflap_ingest_bytes_total" + tag + " " + bytes + ".0\n"), body);
        Matcher batches = Pattern.compile("\ncatflap_batches_total" + Pattern.quote(tag) + " (\\S+)\n").matcher(body);
        assertTrue(batches.find(), body);
        double written = Double.parseDouble(batches.group(1));
        assertTrue(written >= 1 && written <= 3, "one to three batches for three requests: " + written);
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
    void statusReportsTheTablesInsertsAndLimits() throws Exception {
        String table = ch.createTable("admin_status", "a UInt32, s String");
        int bytes = insertTenRows(table);
        Map<?, ?> status = status();
        Map<?, ?> t = tableStatus(status, table);
        assertEquals(10L, t.get("rowsIn"));
        assertEquals(3L, t.get("requestsIn"));
        assertEquals((long) bytes, t.get("bytesIn"));
        long inserts = (Long) t.get("insertsDone");
        assertTrue(inserts >= 1 && inserts <= 3, "one to three inserts for three requests: " + t);
        assertEquals(0L, t.get("openBatchBytes"), "every request was answered, so nothing is held");
        assertEquals(null, t.get("lastError"));
        assertTrue(t.containsKey("rowsPerSecond") && t.containsKey("bytesPerSecond"), t.toString());
        Map<?, ?> upstreamInserts = (Map<?, ?>) ((Map<?, ?>) status.get("upstream")).get("inserts");
        assertEquals((long) MAX_INSERTS, upstreamInserts.get("max"));
        Waits.until("no insert in flight", () -> ((Map<?, ?>) ((Map<?, ?>) status().get("upstream"))
                .get("inserts")).get("inFlight").equals(0L));
    }

    @Test
    void statusShowsClickHousesErrorForTheTable() throws Exception {
        String table = ch.createTable("admin_error", "a UInt32, s String");
        HttpResponse<String> refused = insert(table, "('not a number','x')");
        assertTrue(refused.statusCode() >= 400, refused.body());
        Matcher code = Pattern.compile("^Code: (\\d+)").matcher(refused.body());
        assertTrue(code.find(), refused.body());
        Map<?, ?> status = status();
        Map<?, ?> lastError = (Map<?, ?>) tableStatus(status, table).get("lastError");
        assertNotNull(lastError, status.toString());
        assertEquals(Long.parseLong(code.group(1)), lastError.get("code"));
        assertFalse(lastError.get("message").toString().contains("not a number"),
                "the row stays out of /status: " + lastError);
        assertTrue(refused.body().contains("not a number"), "the sender gets ClickHouse's whole text");
        Map<?, ?> recent = (Map<?, ?>) ((List<?>) status.get("recentErrors")).get(0);
        assertEquals(table, recent.get("table"));
        assertEquals(0, ch.count(table));
    }

    @Test
    void healthIsOkWhileRunning() throws Exception {
        HttpResponse<String> ok = get("/health");
        assertEquals(200, ok.statusCode());
        assertEquals("ok\n", ok.body());
    }

    /** An admin server of its own, over a source that answers an empty snapshot and {@code healthy}. */
    private interface Calls {
        void run(String base) throws Exception;
    }

    private static void standalone(boolean healthy, String token, Calls calls) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        AdminServer server = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), group,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), new StatusSource() {
                    @Override
                    public Map<String, Object> snapshot() {
                        return Map.of();
                    }

                    @Override
                    public boolean healthy() {
                        return healthy;
                    }
                }, token);
        try {
            calls.run("http://127.0.0.1:" + server.port());
        } finally {
            server.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** The 503 of a source that reports itself unhealthy (an aggregator does only while it shuts down). */
    @Test
    void healthIs503WhenTheSourceSaysSo() throws Exception {
        standalone(false, null, base -> {
            HttpResponse<String> bad = TestHttp.get(URI.create(base + "/health"));
            assertEquals(503, bad.statusCode());
            assertEquals("unhealthy\n", bad.body());
        });
    }

    /** With a token, the endpoints that hold data want it; /health and the page (data-free) do not. */
    @Test
    void aTokenGuardsMetricsAndStatus() throws Exception {
        standalone(true, "s3cret", base -> {
            for (String path : List.of("/metrics", "/status")) {
                HttpResponse<String> none = TestHttp.get(URI.create(base + path));
                assertEquals(401, none.statusCode(), path);
                assertEquals("Bearer realm=\"catflap\"", none.headers().firstValue("www-authenticate").orElse(""));
                assertEquals(401, TestHttp.send(HttpRequest.newBuilder(URI.create(base + path))
                        .header("Authorization", "Bearer s3cre")).statusCode(), path);
                assertEquals(200, TestHttp.send(HttpRequest.newBuilder(URI.create(base + path))
                        .header("Authorization", "Bearer s3cret")).statusCode(), path);
            }
            assertEquals(200, TestHttp.get(URI.create(base + "/health")).statusCode());
            assertEquals(200, TestHttp.get(URI.create(base + "/")).statusCode());
        });
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
        HttpResponse<String> post = TestHttp.post(URI.create("http://127.0.0.1:" + agg.adminPort() + "/metrics"), "x");
        assertEquals(405, post.statusCode());
    }
}
