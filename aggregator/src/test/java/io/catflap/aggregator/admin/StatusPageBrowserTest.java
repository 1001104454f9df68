package io.catflap.aggregator.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.Aggregator;
import io.catflap.aggregator.AggregatorConfig;
import io.catflap.aggregator.TestHttp;
import io.catflap.aggregator.select.Waits;
import io.catflap.testkit.ClickHouseServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page rendered by a real browser while inserts flow through an aggregator into the real ClickHouse,
 * checked against {@code /status} and {@code /metrics}. The screenshot lands in {@code target/status-page.png};
 * with {@code -Dcatflap.updateDocs=true} it also replaces {@code docs/status-page.png}.
 */
class StatusPageBrowserTest {

    private static final Pattern ROW = Pattern.compile("<tr data-table=\"([^\"]+)\">(.*?)</tr>", Pattern.DOTALL);
    /** A value element: its attributes and text (error cells wrap their text in a div). */
    private static final Pattern ELEMENT =
            Pattern.compile("<(td|span)([^>]*)>(?:<div>)?([^<]*)(?:</div>)?</\\1>");
    private static final Pattern ATTRIBUTE = Pattern.compile("([\\w-]+)=\"([^\"]*)\"");

    @Test
    void pageShowsWhatStatusAndMetricsReport(@TempDir Path tmp) throws Exception {
        HeadlessChromium chromium = new HeadlessChromium(tmp.resolve("profile"));
        ClickHouseServer clickhouse = ClickHouseServer.shared();
        String events = clickhouse.createTable("status_events", "host String, v UInt64");
        String logs = clickhouse.createTable("status_logs", "host String, v UInt64");
        AggregatorConfig config = new AggregatorConfig()
                .listen(new InetSocketAddress("127.0.0.1", 0))
                .admin(new InetSocketAddress("127.0.0.1", 0))
                .clickhouse(clickhouse.httpUrl())
                .maxInserts(4)
                .maxSelects(2);
        try (Aggregator aggregator = Aggregator.start(config)) {
            URI admin = URI.create("http://127.0.0.1:" + aggregator.adminPort() + "/");
            InsertLoad load = new InsertLoad(aggregator.port(), List.of(events, logs), logs);
            try {
                Waits.until("both tables have rows and one insert was refused", () -> load.refused.get() > 0
                        && tablesByName(status(admin)).size() == 2);
                Thread.sleep(2000); // a few seconds of history for the rates and the chart

                Path png = Path.of("target", "status-page.png");
                chromium.screenshot(admin, png, 1280, 860, 20_000);
                Map<String, Map<String, Cell>> live = tableRows(chromium.dumpDom(admin, 2500));
                assertEquals(2, live.size(), live.toString());
                for (Map<String, Cell> row : live.values()) {
                    assertTrue(Double.parseDouble(row.get("rowsPerSecond").value) > 0, "ingest rate shown: " + row);
                }
                if (Boolean.getBoolean("catflap.updateDocs")) {
                    Path docs = Path.of("").toAbsolutePath().getParent().resolve("docs");
                    Files.createDirectories(docs);
                    Files.copy(png, docs.resolve("status-page.png"), StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                load.stop();
            }

            // Load over and answered: the numbers settle, so page, /status and /metrics can be compared exactly.
            Waits.until("the aggregator is idle", () -> {
                Map<?, ?> s = status(admin);
                Thread.sleep(300);
                return s.get("bytesHeld").equals(0L) && get(s, "upstream.inserts.inFlight").equals(0L)
                        && tablesByName(s).equals(tablesByName(status(admin)));
            });
            String dom = chromium.dumpDom(admin, 1500);
            Map<?, ?> status = status(admin);
            String metrics = TestHttp.get(admin.resolve("/metrics")).body();
            Map<String, Map<String, Cell>> rows = tableRows(dom);
            Map<String, Map<?, ?>> tables = tablesByName(status);
            assertEquals(tables.keySet(), rows.keySet());
            for (Map.Entry<String, Map<?, ?>> t : tables.entrySet()) {
                String name = t.getKey();
                Map<String, Cell> row = rows.get(name);
                long rowsIn = (Long) t.getValue().get("rowsIn");
                assertEquals(load.sent(name), rowsIn, "rows received in " + name);
                assertEquals(String.valueOf(rowsIn), row.get("rowsIn").value);
                assertEquals(String.format(Locale.US, "%,d", rowsIn), row.get("rowsIn").text);
                assertEquals(rowsIn, metric(metrics, "catflap_ingest_rows_total{table=\"" + name + "\"}"));
                for (String k : List.of("requestsIn", "insertsDone", "sealedBatches", "openBatchBytes")) {
                    assertEquals(String.valueOf(t.getValue().get(k)), row.get(k).value, name + " " + k);
                }
            }
            Map<?, ?> bad = tables.get(tables.keySet().stream().filter(n -> n.contains("status_logs"))
                    .findFirst().orElseThrow());
            Map<?, ?> lastError = (Map<?, ?>) bad.get("lastError");
            assertNotNull(lastError, "the refused row left an error: " + bad);
            String shownError = rows.get((String) bad.get("table")).get("lastError").text;
            assertTrue(shownError.startsWith("Code: " + lastError.get("code")), shownError);
            assertTrue(shownError.contains((String) lastError.get("message")), shownError);

            Map<String, Cell> cards = cards(dom);
            for (String key : List.of("connections.open", "connections.reading", "connections.waiting",
                    "connections.maxReaders", "bytesHeld", "bytesHeldLimit", "upstream.inserts.inFlight",
                    "upstream.inserts.queued", "upstream.inserts.max", "upstream.selects.inFlight",
                    "upstream.selects.max")) {
                assertEquals(String.valueOf(get(status, key)), cards.get(key).value, key);
            }
            assertEquals("4", cards.get("upstream.inserts.max").value);
            assertEquals(metric(metrics, "catflap_readers_in_use"), get(status, "connections.reading"));
            assertEquals(metric(metrics, "catflap_batch_held_bytes"), get(status, "bytesHeld"));
            assertEquals(metric(metrics, "catflap_upstream_in_flight{pool=\"insert\"}"),
                    get(status, "upstream.inserts.inFlight"));
            assertEquals(metric(metrics, "catflap_upstream_queued{pool=\"select\"}"),
                    get(status, "upstream.selects.queued"));

            List<?> recent = (List<?>) status.get("recentErrors");
            assertNotEquals(0, recent.size());
            Matcher errors = Pattern.compile("<tbody id=\"errors\">(.*?)</tbody>", Pattern.DOTALL).matcher(dom);
            assertTrue(errors.find());
            assertEquals(recent.size(), errors.group(1).split("<tr>", -1).length - 1, errors.group(1));
        }
    }

    /** One value shown on the page: the raw number ({@code data-v}) and the text a person reads. */
    private record Cell(String value, String text) {
    }

    /** Per table row of the page: its {@code data-k} cells. */
    private static Map<String, Map<String, Cell>> tableRows(String dom) {
        Map<String, Map<String, Cell>> rows = new LinkedHashMap<>();
        Matcher row = ROW.matcher(dom);
        while (row.find()) {
            rows.put(unescape(row.group(1)), cells(row.group(2)));
        }
        return rows;
    }

    /** The summary cards: every element with {@code data-k} outside the tables. */
    private static Map<String, Cell> cards(String dom) {
        return cells(dom.substring(0, dom.indexOf("<tbody id=\"tables\">")));
    }

    private static Map<String, Cell> cells(String html) {
        Map<String, Cell> cells = new HashMap<>();
        Matcher e = ELEMENT.matcher(html);
        while (e.find()) {
            Map<String, String> attrs = new HashMap<>();
            Matcher a = ATTRIBUTE.matcher(e.group(2));
            while (a.find()) {
                attrs.put(a.group(1), unescape(a.group(2)));
            }
            if (attrs.containsKey("data-k")) {
                cells.put(attrs.get("data-k"), new Cell(attrs.get("data-v"), unescape(e.group(3))));
            }
        }
        return cells;
    }

    private static String unescape(String html) {
        return html.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
    }

    private static Map<?, ?> status(URI admin) throws Exception {
        return (Map<?, ?>) JsonParser.parse(TestHttp.get(admin.resolve("/status")).body());
    }

    private static Map<String, Map<?, ?>> tablesByName(Map<?, ?> status) {
        Map<String, Map<?, ?>> byName = new LinkedHashMap<>();
        for (Object t : (List<?>) status.get("tables")) {
            byName.put((String) ((Map<?, ?>) t).get("table"), (Map<?, ?>) t);
        }
        return byName;
    }

    private static Object get(Map<?, ?> tree, String path) {
        Object o = tree;
        for (String k : path.split("\\.")) {
            o = ((Map<?, ?>) o).get(k);
        }
        return o;
    }

    /** A sample's value in Prometheus text, as a whole number. */
    private static long metric(String metrics, String sample) {
        Matcher m = Pattern.compile("^" + Pattern.quote(sample) + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        assertTrue(m.find(), sample + " missing from /metrics");
        return (long) Double.parseDouble(m.group(1));
    }

    /**
     * A few HTTP senders inserting TSV rows into the given tables until stopped; every 20th request of the first
     * sender is a bad row for {@code badTable}, which ClickHouse refuses.
     */
    private static final class InsertLoad {
        final AtomicLong refused = new AtomicLong();
        private final Map<String, AtomicLong> sent = new ConcurrentHashMap<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final List<Thread> senders = new ArrayList<>();
        private final List<Throwable> failures = new ArrayList<>();

        InsertLoad(int port, List<String> tables, String badTable) {
            for (int i = 0; i < 3; i++) {
                int sender = i;
                Thread t = new Thread(() -> {
                    try {
                        send(port, sender, tables, badTable);
                    } catch (Throwable e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                }, "insert-load-" + i);
                t.start();
                senders.add(t);
            }
        }

        private void send(int port, int sender, List<String> tables, String badTable) throws Exception {
            for (int n = 0; !stop.get(); n++) {
                boolean bad = sender == 0 && n % 20 == 19;
                String table = bad ? badTable : tables.get(n % tables.size());
                StringBuilder body = new StringBuilder();
                int rows = bad ? 1 : 200;
                for (int r = 0; r < rows; r++) {
                    body.append("host-").append(sender).append('\t').append(bad ? "not-a-number" : n * 1000L + r)
                            .append('\n');
                }
                URI uri = URI.create("http://127.0.0.1:" + port + "/?query="
                        + URLEncoder.encode("INSERT INTO " + table + " FORMAT TSV", StandardCharsets.UTF_8));
                sent.computeIfAbsent(table, k -> new AtomicLong()).addAndGet(rows);
                int code = TestHttp.post(uri, body.toString()).statusCode();
                if (bad) {
                    assertNotEquals(200, code, "a bad row is refused");
                    refused.incrementAndGet();
                } else {
                    assertEquals(200, code);
                }
                Thread.sleep(10); // a steady trickle; this machine is shared
            }
        }

        /** Rows sent to the table the aggregator names {@code name} (qualified, maybe quoted). */
        long sent(String name) {
            String plain = name.replace("`", "");
            return sent.entrySet().stream().filter(e -> e.getKey().equals(plain)).mapToLong(e -> e.getValue().get())
                    .findFirst().orElseThrow(() -> new AssertionError("no rows were sent to " + name));
        }

        void stop() throws InterruptedException {
            stop.set(true);
            for (Thread t : senders) {
                t.join(60_000);
            }
            synchronized (failures) {
                if (!failures.isEmpty()) {
                    AssertionError e = new AssertionError("insert load failed: " + failures.get(0), failures.get(0));
                    failures.stream().skip(1).forEach(e::addSuppressed);
                    throw e;
                }
            }
        }
    }
}
