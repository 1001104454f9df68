package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.Aggregator;
import io.catflap.aggregator.AggregatorConfig;
import io.catflap.testkit.ClickHouseServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --compare} against real targets: two aggregators (in this JVM) in front of the real ClickHouse take the same
 * load in one invocation. Each target's run must be verified on its own — its rows under its own tag, all landed —
 * and the report must put the figures side by side with their ratios. The same two aggregators also take one run's
 * load at once, as the destinations of one {@code --target}. Figures and ratios are not judged: they are timings.
 */
class CompareOnRealTargetsTest {
    private static final ClickHouseServer CLICKHOUSE = ClickHouseServer.shared();
    private static Aggregator first;
    private static Aggregator second;

    @TempDir
    Path dir;

    private Harness harness;

    @BeforeAll
    static void startAggregators() throws InterruptedException {
        first = Aggregator.start(config());
        second = Aggregator.start(config());
    }

    private static AggregatorConfig config() {
        return new AggregatorConfig().listen(new InetSocketAddress("127.0.0.1", 0)).admin(null)
                .clickhouse(CLICKHOUSE.httpUrl());
    }

    @AfterAll
    static void stopAggregators() {
        first.close();
        second.close();
    }

    @BeforeEach
    void newHarness() {
        harness = new Harness(CLICKHOUSE.httpUrl(), dir.resolve("report.json"));
    }

    @Test
    void everyTargetTakesTheSameLoadIsVerifiedAndComparedWithTheFirst() throws Exception {
        String table = CLICKHOUSE.createTable("lt_compare", RowGenerator.COLUMNS_DDL);
        String tag = "cmp" + System.nanoTime();
        // Both processes to sample are this JVM: one by PID, the others by the ports they listen on.
        int exit = harness.run("-t", "kitten://127.0.0.1:" + first.port(),
                "--compare", "kitten://127.0.0.1:" + second.port() + ",http://127.0.0.1:" + first.port(),
                "--table", table, "-c", "4", "-r", "5", "-n", "60", "--warmup", "1s", "--tag", tag,
                "--target-pid", String.valueOf(ProcessHandle.current().pid()),
                "--compare-port", String.valueOf(second.port()), "--compare-port", String.valueOf(first.port()));

        assertEquals(0, exit, harness.output());
        JsonReport json = harness.report();
        assertEquals(List.of(60L, 60L, 60L), json.numbers("requests_ok"), json::toString);
        assertEquals(List.of(300L, 300L, 300L), json.numbers("landed"), "each run counted its own rows: " + json);
        assertEquals(List.of(0L, 0L, 0L), json.numbers("lost_rows"), json::toString);
        assertEquals(List.of(0L, 0L, 0L), json.numbers("duplicated"), json::toString);
        for (String t : List.of(tag, tag + "-compare1", tag + "-compare2")) {
            assertEquals(300, CLICKHOUSE.count(table, "tag = '" + t + "'"), t);
        }
        JsonReport ratios = json.from("ratios");
        assertEquals(List.of((long) second.port(), (long) first.port()), ratiosComparedWith(ratios), json::toString);
        assertTrue(ratios.decimal("requests_per_second") > 0, json::toString);
        assertTrue(ratios.decimal("peak_rss_mib") > 0, "every target was sampled: " + json);

        String out = harness.output();
        assertEquals(3, out.split("verification: every acked row landed", -1).length - 1, out);
        assertTrue(out.contains("=== C: http://127.0.0.1:" + first.port() + " ==="), out);
        assertTrue(out.contains("A / B") && out.contains("A / C"), out);
    }

    @Test
    void withHostileEachTargetIsMeasuredCleanAndUnderAttack() throws Exception {
        String table = CLICKHOUSE.createTable("lt_compare_hostile", RowGenerator.COLUMNS_DDL);
        int exit = harness.run("-t", "kitten://127.0.0.1:" + first.port(), "--compare", "kitten://127.0.0.1:" + second.port(),
                "--table", table, "-c", "4", "-r", "5", "-n", "40", "--hostile", "stall:2,garbage:2");

        assertEquals(0, exit, harness.output());
        JsonReport json = harness.report();
        assertEquals(List.of(40L, 40L, 40L, 40L), json.numbers("requests_ok"), "clean and attacked, each target: " + json);
        assertEquals(List.of(0L, 0L, 0L, 0L), json.numbers("lost_rows"), json::toString);
        assertEquals(4 * 200, CLICKHOUSE.count(table));
        assertTrue(json.from("ratios").has("good_rate_under_attack_vs_clean"), json::toString);
        String out = harness.output();
        assertEquals(2, out.split("good senders under attack", -1).length - 1, out);
        assertTrue(out.contains("attacked / clean"), out);
    }

    @Test
    void destinationsOfOneTargetShareItsLoadAndAreEachReported() throws Exception {
        String table = CLICKHOUSE.createTable("lt_destinations", RowGenerator.COLUMNS_DDL);
        String firstUrl = "kitten://127.0.0.1:" + first.port();
        String secondUrl = "kitten://127.0.0.1:" + second.port();
        int exit = harness.run("-t", firstUrl + "," + secondUrl, "--table", table, "-c", "4", "--idle", "2", "-r", "5",
                "-n", "60", "--target-port", first.port() + "," + second.port());

        assertEquals(0, exit, harness.output());
        JsonReport json = harness.report();
        // The totals first, then each destination's share.
        List<Long> requests = json.numbers("requests_ok");
        assertEquals(3, requests.size(), json::toString);
        assertEquals(60L, requests.get(0), json::toString);
        assertTrue(requests.get(1) > 0 && requests.get(2) > 0, "both destinations took requests: " + json);
        assertEquals(60L, requests.get(1) + requests.get(2), json::toString);
        assertEquals(List.of(300L, 300L), List.of(json.number("rows_acked"), json.number("landed")), json::toString);
        assertEquals(0, json.number("lost_rows"), json::toString);
        assertEquals(0, json.number("duplicated"), json::toString);
        assertEquals(300, CLICKHOUSE.count(table));
        JsonReport destinations = json.from("destinations");
        assertTrue(destinations.toString().contains("\"target\": \"" + secondUrl + "\""), json::toString);
        assertEquals(2, destinations.numbers("pid").size(), "each destination was sampled: " + json);

        String out = harness.output();
        assertTrue(out.contains("verification: every acked row landed"), out);
        for (String url : List.of(firstUrl, secondUrl)) {
            assertTrue(out.lines().anyMatch(l -> l.startsWith(url + " ")), "a line per destination: " + out);
        }
    }

    @Test
    void destinationsToSampleComeOnePerDestination() {
        int exit = harness.run("-t", "kitten://127.0.0.1:" + first.port() + ",kitten://127.0.0.1:" + second.port(),
                "--table", "default.unused", "-n", "1", "--target-port", String.valueOf(first.port()));
        assertEquals(LoadtestMain.EXIT_SETUP, exit);
    }

    /** The port of each target that the ratios compare the first one with. */
    private static List<Long> ratiosComparedWith(JsonReport ratios) {
        return Pattern.compile("\"compared_with\": \"[a-z]+://127\\.0\\.0\\.1:(\\d+)\"")
                .matcher(ratios.toString()).results().map(r -> Long.parseLong(r.group(1))).toList();
    }
}
