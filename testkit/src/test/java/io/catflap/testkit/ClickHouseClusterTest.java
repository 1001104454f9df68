package io.catflap.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The cluster the testkit starts is ClickHouse's own replication at work, including across a replica's crash. */
class ClickHouseClusterTest {

    private static ClickHouseCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = ClickHouseCluster.shared();
    }

    @Test
    void rowsInsertedIntoOneReplicaReachTheOtherAlsoAfterItWasKilled() {
        String table = cluster.createTable("cluster_replication", "id UInt64");
        cluster.replica(0).execute("INSERT INTO " + table + " SELECT number FROM numbers(100)");
        cluster.kill(1);
        cluster.replica(0).execute("INSERT INTO " + table + " SELECT number FROM numbers(100, 50)");
        cluster.restart(1);
        // Not SYSTEM SYNC REPLICA: right after a restart it can return before the replica has queued what it
        // missed (seen on 18.16), so the count is polled.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (cluster.replica(1).count(table) < 150 && System.nanoTime() < deadline) {
            Pause.millis(200);
        }
        assertEquals(150, cluster.replica(1).count(table));
        assertEquals(150, cluster.replica(1).count(table + "_all"), "the Distributed table reads one replica");
    }

    /**
     * What makes a retry exactly-once on a Replicated table: an identical block inserted again is dropped by its
     * checksum (insert_deduplicate), on any replica; a plain MergeTree table takes it twice.
     */
    @Test
    void anIdenticalRetriedBlockLandsOnceOnAReplicatedTableAndTwiceOnMergeTree() {
        String replicated = cluster.createTable("cluster_dedup", "id UInt64");
        String insert = " VALUES (1), (2), (3)";
        cluster.replica(0).execute("INSERT INTO " + replicated + insert);
        cluster.replica(1).execute("INSERT INTO " + replicated + insert);
        assertEquals(3, cluster.replica(0).count(replicated));

        String plain = cluster.replica(0).createTable("cluster_plain", "id UInt64");
        cluster.replica(0).execute("INSERT INTO " + plain + insert);
        cluster.replica(0).execute("INSERT INTO " + plain + insert);
        assertEquals(6, cluster.replica(0).count(plain));
    }
}
