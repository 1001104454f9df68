package io.catflap.client.persist;

import static io.catflap.client.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.client.AggregatorProcess;
import io.catflap.client.Await;
import io.catflap.client.DaemonProcess;
import io.catflap.client.JavaProcess;
import io.catflap.client.LandedIds;
import io.catflap.testkit.ClickHouseServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Persistent mode end to end with real processes: app (HTTP) → client daemon process → aggregator process (KITTEN)
 * → the real ClickHouse. Every row the daemon acknowledged must land, whatever happens to the daemon process, and
 * only once: the batch in flight at a crash is sent again under the same idempotency key, which the aggregator's
 * dedup window answers without inserting it twice.
 */
class PersistentDeliveryProcessTest {

    private static ClickHouseServer clickhouse;

    @TempDir
    Path dir;

    private final List<AutoCloseable> processes = new ArrayList<>();

    @BeforeAll
    static void startClickHouse() {
        clickhouse = ClickHouseServer.shared();
    }

    @AfterEach
    void stopProcesses() throws Exception {
        for (AutoCloseable p : processes) {
            p.close();
        }
    }

    private DaemonProcess daemon(int port, int adminPort, int aggregatorPort) throws Exception {
        DaemonProcess d = DaemonProcess.start(dir, port, adminPort,
                "--ch-addr", "127.0.0.1:" + aggregatorPort, "--health-check-sec", "1");
        processes.add(d);
        return d;
    }

    private void aggregator(int port) throws Exception {
        processes.add(AggregatorProcess.start(port, clickhouse.httpUrl()));
    }

    /** Waits (generously) until every acknowledged id landed; returns what landed. */
    private static Map<Long, Long> awaitLanded(String table, Set<Long> acked) throws Exception {
        until(Await.DEADLINE.multipliedBy(2), true, () -> LandedIds.in(clickhouse, table).keySet().containsAll(acked));
        return LandedIds.in(clickhouse, table);
    }

    private static Set<Long> lost(Set<Long> acked, Map<Long, Long> counts) {
        Set<Long> lost = new TreeSet<>(acked);
        lost.removeAll(counts.keySet());
        return lost;
    }

    private static long duplicates(Map<Long, Long> counts) {
        return counts.values().stream().mapToLong(c -> c - 1).sum();
    }

    @Test
    void everyAcknowledgedRowLandsAfterTheDaemonIsKilledMidStream() throws Exception {
        String table = clickhouse.createTable("persist_sigkill", "id UInt64, payload String");
        int aggregatorPort = JavaProcess.freePort();
        int port = JavaProcess.freePort();
        int adminPort = JavaProcess.freePort();
        int kills = 2;
        aggregator(aggregatorPort);
        DaemonProcess daemon = daemon(port, adminPort, aggregatorPort);
        try (AppWriter app = new AppWriter(port, table)) {
            long start = System.nanoTime();
            app.startThreads(4, 50);
            for (int k = 1; k <= kills; k++) {
                int target = app.acked().size() + 1_000;
                until("1000 more acknowledged rows", () -> app.acked().size() >= target);
                daemon.kill(); // SIGKILL while the writers are mid-request and the sender mid-batch
                System.out.printf("SIGKILL %d: %d rows acknowledged so far, %d writes failed%n",
                        k, app.acked().size(), app.failed());
                daemon = daemon(port, adminPort, aggregatorPort); // same --dir, same ports
            }
            int target = app.acked().size() + 1_000;
            until("1000 more acknowledged rows after the last restart", () -> app.acked().size() >= target);
            app.stop();
            double seconds = (System.nanoTime() - start) / 1e9;
            Set<Long> acked = app.acked();
            Map<Long, Long> counts = awaitLanded(table, acked);
            Set<Long> lost = lost(acked, counts);
            System.out.printf("SIGKILL x%d: acknowledged %d (%.0f rows/s incl. restarts), landed %d distinct, lost %d, "
                            + "duplicates %d; failed writes %d, of which landed anyway %d%n",
                    kills, acked.size(), acked.size() / seconds, counts.size(), lost.size(), duplicates(counts),
                    app.failed(),
                    counts.keySet().stream().filter(id -> !acked.contains(id)).count());
            assertEquals(Set.of(), lost, "acknowledged rows missing in ClickHouse; daemon output:\n"
                    + daemon.process().output());
            assertEquals(0, duplicates(counts), "rows that landed twice");
        }
    }

    @Test
    void backlogWrittenWhileTheAggregatorIsDownSurvivesADaemonKillAndLandsWhenItReturns() throws Exception {
        String table = clickhouse.createTable("persist_backlog", "id UInt64, payload String");
        int aggregatorPort = JavaProcess.freePort(); // nothing listens there yet
        int port = JavaProcess.freePort();
        int adminPort = JavaProcess.freePort();
        DaemonProcess daemon = daemon(port, adminPort, aggregatorPort);
        AppWriter app = new AppWriter(port, table);
        assertEquals(500, app.writeNow(500), "persistent writes are accepted while the aggregator is down");
        DaemonProcess first = daemon;
        until("a failed send", () -> first.metric("catflap_client_persist_send_errors_total", "") > 0);
        double backlog = daemon.metric("catflap_client_persist_backlog_bytes", "");
        assertTrue(backlog >= daemon.metric("catflap_client_received_bytes_total", ""), "the rows wait on disk");
        daemon.kill();
        daemon = daemon(port, adminPort, aggregatorPort);
        assertEquals(backlog, daemon.metric("catflap_client_persist_backlog_bytes", ""),
                "the restarted daemon recovered the whole backlog");
        assertEquals(500, app.writeNow(500), "and more after a restart");
        aggregator(aggregatorPort);
        Map<Long, Long> counts = awaitLanded(table, app.acked());
        System.out.printf("aggregator down, daemon killed: acknowledged %d, landed %d distinct, duplicates %d%n",
                app.acked().size(), counts.size(), duplicates(counts));
        assertEquals(Set.of(), lost(app.acked(), counts), "daemon output:\n" + daemon.process().output());
        assertEquals(0, duplicates(counts), "rows that landed twice");
    }
}
