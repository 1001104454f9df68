package io.catflap.client;

import static io.catflap.client.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.client.persist.AppWriter;
import io.catflap.testkit.ClickHouseCluster;
import io.catflap.testkit.ClickHouseServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scaling out on ClickHouse's own cluster: two replicas of one shard (ZooKeeper, ReplicatedMergeTree), an aggregator
 * in front of each, and client daemons in persistent mode routing every table to both aggregators. One replica and
 * its aggregator are SIGKILLed under load, as a crash of their host would, and come back after an outage.
 *
 * <p>Nothing acknowledged may be lost. Duplicates are possible and bounded: a batch that the killed aggregator had
 * committed (or was committing) but not yet acknowledged is sent again by its daemon to the surviving aggregator,
 * and the idempotency key cannot help across aggregators (each remembers only its own keys), nor can ClickHouse's
 * block deduplication (the survivor inserts the batch together with other rows, as a different block). Each daemon
 * has at most one batch in flight per table, so at most one batch per daemon is repeated.
 */
class ClusterFailoverTest {

    /** Three daemons, each writing from three app threads: what two cores run beside five servers. */
    private static final int DAEMONS = 3;
    private static final int APP_THREADS = 3;
    /** Small batches, so that the bound on duplicates (one batch per daemon) is tight. */
    private static final int MAX_SEND_SIZE = 8192;
    /** The shortest row an {@link AppWriter} writes with ids of ten digits: {@code (1000000001,'row 1000000001')}. */
    private static final int MIN_ROW_BYTES = 29;
    private static final long IDS_PER_DAEMON = 1_000_000_000L;
    /** How long the replica and its aggregator stay down: the scenario, not a wait for a state. */
    private static final Duration OUTAGE = Duration.ofSeconds(10);

    private static ClickHouseCluster cluster;

    @TempDir
    Path dir;

    private final List<AutoCloseable> processes = Collections.synchronizedList(new ArrayList<>());
    /** Starts processes side by side: JVM start-up is most of this test's time on a small machine. */
    private final ExecutorService starter = Executors.newCachedThreadPool();

    @BeforeAll
    static void startCluster() {
        cluster = ClickHouseCluster.shared();
    }

    @AfterEach
    void stopProcesses() throws Exception {
        starter.shutdown();
        starter.awaitTermination(1, TimeUnit.MINUTES);
        Collections.reverse(processes);
        for (AutoCloseable p : processes) {
            p.close();
        }
    }

    @Test
    void everyAcknowledgedRowIsOnBothReplicasAfterAReplicaAndItsAggregatorAreKilledUnderLoad() throws Exception {
        long start = System.nanoTime();
        String table = cluster.createTable("failover", "id UInt64, payload String");
        int[] ports = {JavaProcess.freePort(), JavaProcess.freePort()};
        String survivor = "127.0.0.1:" + ports[0];
        String victim = "127.0.0.1:" + ports[1];
        Path routing = Files.writeString(dir.resolve("routing.conf"), "* =" + survivor + "*1 =" + victim + "*1;\n");
        List<Future<AggregatorProcess>> aggregators = new ArrayList<>();
        for (int i = 0; i < ports.length; i++) {
            int replica = i;
            aggregators.add(starter.submit(() -> aggregator(replica, ports[replica])));
        }
        List<Future<DaemonProcess>> starting = new ArrayList<>();
        for (int d = 0; d < DAEMONS; d++) {
            Path daemonDir = dir.resolve("daemon" + d);
            starting.add(starter.submit(() -> started(DaemonProcess.start(daemonDir, "-c", routing.toString(),
                    "--health-check-sec", "1", "--max-send-size", Integer.toString(MAX_SEND_SIZE)))));
        }
        List<DaemonProcess> daemons = new ArrayList<>();
        for (Future<DaemonProcess> daemon : starting) {
            daemons.add(daemon.get());
        }
        for (Future<AggregatorProcess> aggregator : aggregators) {
            aggregator.get();
        }
        List<AppWriter> apps = new ArrayList<>();
        for (int d = 0; d < DAEMONS; d++) {
            AppWriter app = started(new AppWriter(daemons.get(d).port(), table, (d + 1) * IDS_PER_DAEMON));
            apps.add(app);
            app.startThreads(APP_THREADS, 50);
        }
        phase(start, "processes started");
        until("every daemon had batches committed by both aggregators",
                () -> min(daemons, survivor) > 0 && min(daemons, victim) > 0);
        phase(start, "load on both aggregators; killing replica 2 and its aggregator");

        aggregators.get(1).get().process().kill();
        cluster.kill(1);
        long killedAt = System.nanoTime();
        int ackedAtKill = acked(apps).size();
        long[] idsAtKill = apps.stream().mapToLong(AppWriter::nextId).toArray();
        double[] survivorAtKill = perDaemon(daemons, survivor);
        double[] victimAtKill = perDaemon(daemons, victim);
        until("every daemon found the victim down and had batches committed by the survivor", () -> {
            double[] now = perDaemon(daemons, survivor);
            for (int d = 0; d < DAEMONS; d++) {
                if (daemons.get(d).metric("catflap_client_send_errors_total", destination(victim)) == 0
                        || now[d] <= survivorAtKill[d]) {
                    return false;
                }
            }
            return true;
        });
        double shiftSeconds = (System.nanoTime() - killedAt) / 1e9;
        Thread.sleep(Math.max(0, OUTAGE.toMillis() - (System.nanoTime() - killedAt) / 1_000_000));
        int ackedDuringOutage = acked(apps).size() - ackedAtKill;
        assertTrue(ackedDuringOutage > 0, "apps kept writing while a replica was down");

        phase(start, "outage over; restarting replica 2 and its aggregator");
        Future<AggregatorProcess> restarted = starter.submit(() -> aggregator(1, ports[1]));
        cluster.restart(1);
        restarted.get();
        phase(start, "restarted");
        until("every daemon had batches committed by the restarted aggregator", () -> {
            double[] now = perDaemon(daemons, victim);
            for (int d = 0; d < DAEMONS; d++) {
                if (now[d] <= victimAtKill[d]) {
                    return false;
                }
            }
            return true;
        });
        int target = acked(apps).size() + 1_000;
        until("1000 more acknowledged rows with both aggregators back", () -> acked(apps).size() >= target);
        apps.forEach(AppWriter::stop);
        phase(start, "load stopped");

        Set<Long> acked = acked(apps);
        List<Map<Long, Long>> landed = new ArrayList<>();
        for (ClickHouseServer replica : cluster.replicas()) {
            until(Await.DEADLINE.multipliedBy(2), true,
                    () -> LandedIds.in(replica, table).keySet().containsAll(acked));
            landed.add(LandedIds.in(replica, table));
        }
        // Rows that landed without an acknowledgement (a write cut short) replicate too: wait for equal replicas.
        Map<Long, Long> counts = until(Await.DEADLINE, landed.get(0), () -> LandedIds.in(cluster.replica(1), table));
        phase(start, "every acknowledged row is on both replicas");
        Set<Long> lost = new TreeSet<>(acked);
        lost.removeAll(counts.keySet());
        Set<Long> duplicated = new TreeSet<>();
        counts.forEach((id, n) -> {
            if (n > 1) {
                duplicated.add(id);
            }
        });
        long duplicates = counts.values().stream().mapToLong(n -> n - 1).sum();
        long writtenAfterKill = duplicated.stream()
                .filter(id -> id >= idsAtKill[(int) (id / IDS_PER_DAEMON) - 1]).count();
        long bound = (long) DAEMONS * (MAX_SEND_SIZE / MIN_ROW_BYTES);
        System.out.printf("cluster failover: %d daemons, %d rows acknowledged (%d while a replica was down for %d s);"
                        + " load on the survivor alone %.1f s after the kill; on each replica %d distinct rows, lost %d,"
                        + " duplicates %d (bound: one batch per daemon, %d rows); batches committed by survivor/victim:"
                        + " %.0f/%.0f%n",
                DAEMONS, acked.size(), ackedDuringOutage, OUTAGE.toSeconds(), shiftSeconds, counts.size(),
                lost.size(), duplicates, bound, sum(perDaemon(daemons, survivor)), sum(perDaemon(daemons, victim)));

        assertEquals(landed.get(0), counts, "both replicas hold the same rows");
        assertEquals(Set.of(), lost, "acknowledged rows missing from the cluster");
        assertTrue(counts.values().stream().allMatch(n -> n <= 2), "no row landed more than twice");
        assertEquals(0, writtenAfterKill, "duplicated rows written after the kill: " + duplicated);
        assertTrue(duplicates <= bound, duplicates + " duplicates, more than one batch per daemon");
    }

    private AggregatorProcess aggregator(int replica, int port) throws Exception {
        return started(AggregatorProcess.start(port, cluster.replica(replica).httpUrl()));
    }

    /** Registers {@code process} to be closed after the test. */
    private <T extends AutoCloseable> T started(T process) {
        processes.add(process);
        return process;
    }

    private static void phase(long start, String what) {
        System.out.printf("[%.1f s] %s%n", (System.nanoTime() - start) / 1e9, what);
    }

    private static String destination(String hostPort) {
        return "destination=\"" + hostPort + "\"";
    }

    /** Batches each daemon has had committed by {@code hostPort}. */
    private static double[] perDaemon(List<DaemonProcess> daemons, String hostPort) throws Exception {
        double[] batches = new double[daemons.size()];
        for (int d = 0; d < batches.length; d++) {
            batches[d] = daemons.get(d).metric("catflap_client_destination_acked_batches_total",
                    destination(hostPort));
        }
        return batches;
    }

    private static double min(List<DaemonProcess> daemons, String hostPort) throws Exception {
        return Arrays.stream(perDaemon(daemons, hostPort)).min().orElse(0);
    }

    private static double sum(double[] values) {
        return Arrays.stream(values).sum();
    }

    private static Set<Long> acked(List<AppWriter> apps) {
        Set<Long> all = new HashSet<>();
        apps.forEach(app -> all.addAll(app.acked()));
        return all;
    }
}
