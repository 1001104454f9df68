package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.Aggregator;
import io.catflap.aggregator.AggregatorConfig;
import io.catflap.client.ClientDaemon;
import io.catflap.client.DaemonConfig;
import io.catflap.client.kitten.KittenOptions;
import io.catflap.client.persist.PersistOptions;
import io.catflap.testkit.ClickHouseServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness against the real thing: an aggregator (in this JVM) in front of the real ClickHouse, reached over KITTEN
 * and HTTP, and a client daemon (in this JVM) in front of that aggregator, reached over its local API. Each run must
 * end verified — every acked row found in ClickHouse, none lost, none twice — with a nonzero throughput.
 */
class HarnessOnRealTargetsTest {
    private static final ClickHouseServer CLICKHOUSE = ClickHouseServer.shared();
    /** Acked rows of an in-memory daemon write are flushed every 1-3 s: wait for them well past that. */
    private static final String VERIFY_WAIT = "120s";
    private static Aggregator aggregator;

    @TempDir
    Path dir;

    private Harness harness;

    @BeforeAll
    static void startAggregator() throws InterruptedException {
        aggregator = Aggregator.start(new AggregatorConfig().listen(new InetSocketAddress("127.0.0.1", 0)).admin(null)
                .clickhouse(CLICKHOUSE.httpUrl()));
    }

    @AfterAll
    static void stopAggregator() {
        aggregator.close();
    }

    @BeforeEach
    void newHarness() {
        harness = new Harness(CLICKHOUSE.httpUrl(), dir.resolve("report.json"));
    }

    @Test
    void kittenRowBinaryWithLz4ThroughTheAggregator() throws Exception {
        String table = CLICKHOUSE.createTable("lt_kitten", RowGenerator.COLUMNS_DDL);
        int exit = harness.run("-t", "kitten://127.0.0.1:" + aggregator.port(), "--table", table, "-c", "4", "-r", "5",
                "-n", "100", "--format", "rowbinary", "--lz4", "--idle", "20", "--verify-wait", VERIFY_WAIT);

        JsonReport json = assertVerified(exit, 5, 100, table);
        assertEquals(20, json.number("idle_connected"), "idle KITTEN connections completed the handshake");
        long inserts = json.number("clickhouse_inserts");
        assertTrue(inserts >= 1 && inserts < 100, "ClickHouse counted the aggregator's merged inserts, fewer than "
                + "the 100 requests: " + json);
    }

    @Test
    void httpValuesAndSelectsThroughTheAggregator() throws Exception {
        String table = CLICKHOUSE.createTable("lt_http", RowGenerator.COLUMNS_DDL);
        int exit = harness.run("-t", "http://127.0.0.1:" + aggregator.port(), "--table", table, "-c", "4", "-r", "5",
                "-n", "100", "--select-share", "0.2", "--verify-wait", VERIFY_WAIT);

        JsonReport json = assertVerified(exit, 5, 100, table);
        assertTrue(json.number("selects_answered") > 0, json::toString);
    }

    @Test
    void localApiThroughTheClientDaemonAndTheAggregator() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        DaemonConfig config = new DaemonConfig("127.0.0.1", port, "127.0.0.1:" + aggregator.port(), null,
                dir.resolve("daemon"), PersistOptions.defaults(), null, KittenOptions.defaults(), 16 << 20, 64 << 20,
                Duration.ofSeconds(1), Duration.ofHours(1));
        try (ClientDaemon daemon = new ClientDaemon(config)) {
            String values = CLICKHOUSE.createTable("lt_local", RowGenerator.COLUMNS_DDL);
            int exit = harness.run("-t", "local://127.0.0.1:" + port, "--table", values, "-c", "3", "-r", "4",
                    "-n", "60", "--select-share", "0.2", "--verify-wait", VERIFY_WAIT);
            JsonReport json = assertVerified(exit, 4, 60, values);
            assertTrue(json.number("selects_answered") > 0, "SELECTs forwarded by the daemon: " + json);

            String rowBinary = CLICKHOUSE.createTable("lt_local_rb", RowGenerator.COLUMNS_DDL);
            exit = harness.run("-t", "local://127.0.0.1:" + port, "--table", rowBinary, "-c", "3", "-r", "4",
                    "-n", "60", "--format", "rowbinary", "--verify-wait", VERIFY_WAIT);
            assertVerified(exit, 4, 60, rowBinary);

            String persistent = CLICKHOUSE.createTable("lt_local_persistent", RowGenerator.COLUMNS_DDL);
            exit = harness.run("-t", "local://127.0.0.1:" + port + "?persistent=1", "--table", persistent, "-c", "3",
                    "-r", "4", "-n", "60", "--verify-wait", VERIFY_WAIT);
            assertVerified(exit, 4, 60, persistent);
            try (Stream<Path> logged = Files.list(dir.resolve("daemon"))) {
                assertTrue(logged.anyMatch(Files::isDirectory), "the rows went through the daemon's persistent log");
            }
        }
    }

    /**
     * The run of {@code requests} requests answered them all, passed its own verification, and ClickHouse holds
     * exactly the rows it says were acked: {@code rowsPerRequest} per INSERT.
     */
    private JsonReport assertVerified(int exit, int rowsPerRequest, int requests, String table) throws Exception {
        assertEquals(0, exit, harness.output());
        JsonReport json = harness.report();
        assertEquals(0, json.number("errors"), json::toString);
        assertEquals(requests, json.number("requests_ok"), json::toString);
        long rows = rowsPerRequest * (requests - json.number("selects_answered"));
        assertEquals(rows, json.number("rows_acked"), json::toString);
        assertEquals(0, json.number("lost_rows"), json::toString);
        assertEquals(0, json.number("duplicated"), json::toString);
        assertEquals(rows, json.number("landed"), json::toString);
        assertEquals(rows, CLICKHOUSE.count(table));
        assertTrue(json.decimal("rows_per_second") > 0, json::toString);
        assertTrue(harness.output().contains("verification: every acked row landed"), harness.output());
        return json;
    }
}
