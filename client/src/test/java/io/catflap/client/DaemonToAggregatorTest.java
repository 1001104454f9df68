package io.catflap.client;

import io.catflap.testkit.ClickHouseServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** App -> daemon (HTTP POST) -> aggregator (KITTEN) -> ClickHouse, every process real: rows land, VALUES and RowBinary. */
class DaemonToAggregatorTest {
    private static final ClickHouseServer CH = ClickHouseServer.shared();
    @TempDir
    static Path dir;
    @TempDir
    static Path lz4Dir;
    private static AggregatorProcess aggregator;
    private static DaemonProcess daemon;
    private static DaemonProcess lz4Daemon;

    @BeforeAll
    static void start() throws Exception {
        aggregator = AggregatorProcess.start(JavaProcess.freePort(), CH.httpUrl());
        daemon = DaemonProcess.start(dir, "--ch-addr", aggregator.hostPort());
        lz4Daemon = DaemonProcess.start(lz4Dir, "--ch-addr", aggregator.hostPort(), "--lz4");
    }

    @AfterAll
    static void stop() {
        lz4Daemon.close();
        daemon.close();
        aggregator.close();
    }

    @Test
    void rowsLandInEveryMode() throws Exception {
        String table = CH.createTable("e2e", "id UInt64, s String");
        String spec = table + "(id,s)";
        for (int i = 0; i < 100; i++) {
            assertOk(daemon.post(spec, "", "(" + i + ",'mem')"));
        }
        RowBinary rb = new RowBinary();
        for (int i = 0; i < 100; i++) {
            rb.row(1000 + i, "rowbinary");
        }
        assertOk(daemon.post(spec, "&rowbinary=1", rb.bytes()));
        for (int i = 0; i < 20; i++) {
            assertOk(daemon.post(spec, "&persistent=1", "(" + (2000 + i) + ",'disk')"));
        }
        assertOk(daemon.post(spec, "&debug=1", "(3000,'sync')"));
        assertEquals(1, CH.count(table, "s = 'sync'"));   // debug=1 answers after the aggregator's ack

        assertEquals(221L, Await.until(Duration.ofSeconds(60), 221L, () -> CH.count(table)));
        assertEquals(100, CH.count(table, "s = 'rowbinary'"));
        assertEquals(20, CH.count(table, "s = 'disk'"));
        assertTrue(daemon.admin("/status").contains("\"mode\":\"KITTEN\""), daemon.admin("/status"));
        assertTrue(daemon.metric("catflap_client_flushed_batches_total", "") >= 1);
    }

    @Test
    void lz4FramesAreAcceptedByTheAggregator() throws Exception {
        String table = CH.createTable("e2e_lz4", "id UInt64, s String");
        String row = "'" + "compressible ".repeat(50) + "'";
        for (int i = 0; i < 50; i++) {
            assertOk(lz4Daemon.post(table + "(id,s)", "", "(" + i + "," + row + ")"));
        }
        assertOk(lz4Daemon.post(table + "(id,s)", "&debug=1", "(99," + row + ")"));
        assertEquals(51L, Await.until(Duration.ofSeconds(60), 51L, () -> CH.count(table)));
    }

    @Test
    void selectIsForwardedThroughTheAggregator() throws Exception {
        HttpResponse<String> r = daemon.query("SELECT 40 + 2 FORMAT TSV");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("42", r.body().strip());
    }

    private static void assertOk(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
    }
}
