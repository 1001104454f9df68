package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.loadtest.LossyKittenServer.Fate;
import io.catflap.testkit.ClickHouseServer;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness's verification, in the real ClickHouse: against a KITTEN target that drops or fails rows on purpose
 * (fault injection: {@link LossyKittenServer}) it reports exactly what is missing, and straight against ClickHouse's
 * own HTTP interface everything lands. {@link HarnessOnRealTargetsTest} runs it against the real aggregator and client
 * daemon.
 */
class DeliveryVerificationTest {
    private static final ClickHouseServer CLICKHOUSE = ClickHouseServer.shared();

    @TempDir
    Path dir;

    private Harness harness;

    @BeforeEach
    void newHarness() {
        harness = new Harness(CLICKHOUSE.httpUrl(), dir.resolve("report.json"));
    }

    @Test
    void rowsAckedButNotStoredAreReportedAsLostWithANonZeroExit() throws Exception {
        String table = CLICKHOUSE.createTable("lossy", RowGenerator.COLUMNS_DDL);
        try (LossyKittenServer target = new LossyKittenServer(CLICKHOUSE.httpUrl(),
                frame -> frame % 2 == 0 ? Fate.STORE_AND_ACK : Fate.DROP_AND_ACK)) {
            int exit = harness.run("-t", "kitten://127.0.0.1:" + target.port(), "--table", table, "-c", "4", "-r", "5",
                    "-n", "100", "--verify-wait", "1s");

            assertEquals(LoadtestMain.EXIT_LOST, exit, harness.output());
            assertEquals(100, target.frames());
            JsonReport json = harness.report();
            assertEquals(500, json.number("rows_acked"));
            assertEquals(250, json.number("lost_rows"), json::toString);
            assertEquals(250, CLICKHOUSE.count(table));
            assertTrue(harness.output().contains("verification FAILED: 250 acked rows are missing"));
        }
    }

    @Test
    void failedRequestsThatLandedAnywayDoNotHideLostAckedRows() throws Exception {
        String table = CLICKHOUSE.createTable("masked", RowGenerator.COLUMNS_DDL);
        Fate[] pattern = {Fate.STORE_AND_ACK, Fate.DROP_AND_ACK, Fate.STORE_AND_FAIL, Fate.STORE_AND_ACK};
        try (LossyKittenServer target = new LossyKittenServer(CLICKHOUSE.httpUrl(), frame -> pattern[(int) (frame % 4)])) {
            int exit = harness.run("-t", "kitten://127.0.0.1:" + target.port(), "--table", table, "-c", "4", "-r", "5",
                    "-n", "100", "--verify-wait", "1s");

            // As many rows of failed requests landed as acked rows went missing: the totals match, the rows do not.
            assertEquals(LoadtestMain.EXIT_LOST, exit, harness.output());
            JsonReport json = harness.report();
            assertEquals(375, json.number("rows_acked"));
            assertEquals(375, CLICKHOUSE.count(table));
            assertEquals(125, json.number("unacked_landed"));
            assertEquals(125, json.number("lost_rows"), json::toString);
        }
    }

    @Test
    void httpInsertsStraightIntoClickHouseAllLand() throws Exception {
        String prefix = "lt_http_" + System.nanoTime();
        int exit = harness.run("-t", "http://" + CLICKHOUSE.host() + ":" + CLICKHOUSE.httpPort(), "--create-tables",
                "--database", ClickHouseServer.TEST_DATABASE, "--table-prefix", prefix, "--tables", "2",
                "-c", "8", "-r", "10", "-n", "200", "--select-share", "0.1", "--target-port", String.valueOf(CLICKHOUSE.httpPort()));

        assertEquals(0, exit, harness.output());
        JsonReport json = harness.report();
        long acked = json.number("rows_acked");
        long selects = json.number("selects_answered");
        assertEquals(200, json.number("inserts_acked") + selects);
        assertEquals(0, json.number("errors"), json::toString);
        assertEquals(0, json.number("lost_rows"));
        long landed = CLICKHOUSE.count(ClickHouseServer.TEST_DATABASE + "." + prefix + "_0")
                + CLICKHOUSE.count(ClickHouseServer.TEST_DATABASE + "." + prefix + "_1");
        assertEquals(acked, landed);
        assertEquals(10 * (200 - selects), acked);
        assertTrue(json.has("peak_rss_mib"), "the target was sampled by its port");
    }

    @Test
    void jsonEachRowOverHttpLands() throws Exception {
        String table = CLICKHOUSE.createTable("json", RowGenerator.COLUMNS_DDL);
        int exit = harness.run("-t", "http://" + CLICKHOUSE.host() + ":" + CLICKHOUSE.httpPort(), "--table", table,
                "-c", "2", "-r", "50", "-n", "10", "--format", "jsoneachrow");

        assertEquals(0, exit, harness.output());
        assertEquals(500, CLICKHOUSE.count(table));
    }
}
