package io.catflap.client;

import io.catflap.testkit.ClickHouseServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The aggregator is down while apps write: the daemon keeps what it acknowledged — persistent rows in its on-disk
 * backlog, in-memory rows in its buffers up to the cap, through failed sends and flushes — and refuses (with an error,
 * counted) only what is past the cap. Once the aggregator is up, every acknowledged row lands exactly once and no
 * refused row does.
 */
class AggregatorOutageTest {
    private static final ClickHouseServer CH = ClickHouseServer.shared();
    private static final int CAP = 64 << 10;
    private static final int DISK_ROWS = 300;
    private static final int MEMORY_ID0 = 10_000;

    @TempDir
    Path dir;

    @Test
    void acknowledgedRowsWaitThroughTheOutageAndLandOnceAndRefusedOnesNever() throws Exception {
        String table = CH.createTable("outage", "id UInt64, s String");
        String spec = table + "(id,s)";
        int aggregatorPort = JavaProcess.freePort();
        try (DaemonProcess daemon = DaemonProcess.start(dir, "--ch-addr", "127.0.0.1:" + aggregatorPort,
                "--buffer-bytes", Integer.toString(CAP), "--health-check-sec", "1")) {
            for (int i = 0; i < DISK_ROWS; i++) {
                HttpResponse<String> r = daemon.post(spec, "&persistent=1", "(" + i + ",'disk')");
                assertEquals(200, r.statusCode(), r.body());
            }
            String pad = "x".repeat(1000);
            int accepted = 0;
            int refused = 0;
            for (int i = 0; i < 200; i++) {
                HttpResponse<String> r = daemon.post(spec, "", "(" + (MEMORY_ID0 + i) + ",'mem" + pad + "')");
                if (r.statusCode() == 200) {
                    assertEquals(i, accepted, "a write was accepted after one was refused");
                    accepted++;
                } else {
                    assertEquals(500, r.statusCode());
                    assertEquals("Writing too fast: buffer overflow", r.body());
                    refused++;
                }
            }
            assertTrue(accepted > 0 && refused > 0, "accepted " + accepted + ", refused " + refused);
            assertTrue(accepted * 1010L < CAP, "accepted more than the cap: " + accepted);
            assertEquals(refused, daemon.metric("catflap_client_refused_writes_total", ""));

            // Both paths have tried the dead aggregator and failed: what they acknowledged must still be held.
            Await.until("a failed persistent send", () -> daemon.metric("catflap_client_persist_send_errors_total", "") > 0);
            Await.until("a failed memory flush handled", () -> daemon.process().output().contains("could not flush"));
            assertEquals(daemon.metric("catflap_client_received_bytes_total", "mode=\"memory\""),
                    daemon.metric("catflap_client_buffered_bytes", ""), "in-memory rows kept after failed flushes");
            assertTrue(daemon.metric("catflap_client_persist_backlog_bytes", "")
                            >= daemon.metric("catflap_client_received_bytes_total", "mode=\"persistent\""),
                    "persistent rows wait on disk");
            assertEquals(0, daemon.metric("catflap_client_flushed_batches_total", ""));
            assertEquals(0, daemon.metric("catflap_client_persist_sent_records_total", ""));

            try (AggregatorProcess aggregator = AggregatorProcess.start(aggregatorPort, CH.httpUrl())) {
                long expected = DISK_ROWS + accepted;
                assertEquals(expected, Await.until(Await.DEADLINE.multipliedBy(2), expected, () -> CH.count(table)));
                Map<Long, Long> expectedIds = new TreeMap<>();
                for (long id = 0; id < DISK_ROWS; id++) {
                    expectedIds.put(id, 1L);
                }
                for (long id = MEMORY_ID0; id < MEMORY_ID0 + accepted; id++) {
                    expectedIds.put(id, 1L);
                }
                assertEquals(expectedIds, LandedIds.in(CH, table), "each acknowledged id once, no refused id");
                Await.until("buffers and backlog empty", () -> daemon.metric("catflap_client_buffered_bytes", "") == 0
                        && daemon.metric("catflap_client_persist_backlog_bytes", "") == 0);
                assertTrue(aggregator.process().isAlive());
            }
        }
    }

}
