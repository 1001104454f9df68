package io.catflap.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ClickHouse's own cluster for integration tests: a ZooKeeper and two {@code clickhouse-server}s on loopback ports,
 * replicas of one shard of the cluster {@value #CLUSTER} ({@code remote_servers}), each with the macros
 * {@code {shard}} and {@code {replica}}. Tables made by {@link #createTable} are ReplicatedMergeTree, with a
 * Distributed table over them.
 *
 * <p>{@link #shared()} starts it once per JVM from the local installation (Debian's {@code clickhouse-server} and
 * {@code zookeeper}); everything is stopped when the JVM exits. Where either is missing, the calling test is skipped
 * with a message saying what to install, except under {@code CI=true}, where it fails: bin/test installs both.
 */
public final class ClickHouseCluster {

    /** The cluster's name in {@code remote_servers}. */
    public static final String CLUSTER = "catflap";
    /** The database {@link #createTable} creates tables in. */
    public static final String DATABASE = ClickHouseServer.TEST_DATABASE;
    private static final int REPLICAS = 2;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Logger log = LoggerFactory.getLogger(ClickHouseCluster.class);

    private static ClickHouseCluster shared;
    private static IllegalStateException sharedFailure;

    private final List<LocalClickHouse> servers;
    private final List<ClickHouseServer> replicas;

    private ClickHouseCluster(List<LocalClickHouse> servers) {
        this.servers = servers;
        this.replicas = servers.stream()
                .map(s -> new ClickHouseServer(URI.create("http://127.0.0.1:" + s.httpPort())))
                .toList();
    }

    /**
     * The JVM-wide cluster, started on first use. Aborts (skips) the calling test where ZooKeeper or ClickHouse is
     * not installed, or under {@code -Dcatflap.clickhouse=skip}; fails where they are installed but do not start.
     */
    public static synchronized ClickHouseCluster shared() {
        if (ClickHouseServer.skipping()) {
            Assumptions.abort("tests that need ClickHouse are skipped (-D" + ClickHouseServer.MODE_PROPERTY
                    + "=skip)");
        }
        Optional<Path> binary = LocalClickHouse.findBinary();
        Optional<Path> zookeeper = LocalZooKeeper.findJar();
        if (binary.isEmpty() || zookeeper.isEmpty()) {
            String missing = "a ClickHouse cluster needs the local clickhouse-server and zookeeper (Debian's "
                    + "packages; missing: " + (binary.isEmpty() ? "clickhouse-server " : "")
                    + (zookeeper.isEmpty() ? "zookeeper" : "").strip() + "): run bin/test, which installs them, or "
                    + "apt-get install clickhouse-server zookeeper";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(missing);
            }
            Assumptions.abort(missing);
        }
        if (shared == null && sharedFailure == null) {
            try {
                shared = start(binary.get(), zookeeper.get());
            } catch (RuntimeException e) {
                sharedFailure = new IllegalStateException("the ClickHouse cluster did not start: " + e.getMessage(), e);
            }
        }
        if (sharedFailure != null) {
            throw sharedFailure;
        }
        return shared;
    }

    private static ClickHouseCluster start(Path binary, Path zookeeperJar) {
        LocalZooKeeper zookeeper = LocalZooKeeper.start(zookeeperJar);
        ClickHouseServer.stopAtExit(zookeeper);
        List<LocalClickHouse> servers = new ArrayList<>();
        for (int i = 1; i <= REPLICAS; i++) {
            LocalClickHouse server = LocalClickHouse.start(binary, Map.of("replica.xml", LocalClickHouse
                    .resource("replica.xml")
                    .replace("${ZOOKEEPER_PORT}", Integer.toString(zookeeper.port()))
                    .replace("${SHARD}", "01")
                    .replace("${REPLICA}", "replica" + i)));
            ClickHouseServer.stopAtExit(server);
            servers.add(server);
        }
        ClickHouseCluster cluster = new ClickHouseCluster(servers);
        cluster.announce();
        for (ClickHouseServer replica : cluster.replicas) {
            replica.execute("CREATE DATABASE IF NOT EXISTS " + DATABASE);
        }
        log.info("ClickHouse {} cluster '{}' at {}, ZooKeeper at 127.0.0.1:{}", cluster.replicas.get(0).version(),
                CLUSTER, cluster.replicas.stream().map(r -> r.httpUrl().toString()).collect(Collectors.joining(", ")),
                zookeeper.port());
        return cluster;
    }

    /**
     * Tells every server the cluster's members, now that their native ports are known, and waits until each has
     * reloaded its configuration.
     */
    private void announce() {
        String members = servers.stream()
                .map(s -> "        <replica><host>127.0.0.1</host><port>" + s.tcpPort() + "</port></replica>")
                .collect(Collectors.joining("\n"));
        String config = LocalClickHouse.resource("cluster.xml").replace("${CLUSTER}", CLUSTER)
                .replace("${REPLICAS}", members);
        for (LocalClickHouse server : servers) {
            try {
                Files.writeString(server.dir().resolve("config.d").resolve("cluster.xml"), config);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the cluster configuration", e);
            }
        }
        for (ClickHouseServer replica : replicas) {
            awaitUntil("replica " + replica.httpUrl() + " knows cluster " + CLUSTER, () -> replica.count(
                    "system.clusters", "cluster = '" + CLUSTER + "'") == REPLICAS);
        }
    }

    /** The replicas, each reachable over HTTP like {@link ClickHouseServer#shared()}. */
    public List<ClickHouseServer> replicas() {
        return replicas;
    }

    public ClickHouseServer replica(int index) {
        return replicas.get(index);
    }

    /** SIGKILLs replica {@code index}, as a crash of its host would; its data stays for {@link #restart}. */
    public void kill(int index) {
        servers.get(index).kill();
    }

    /** Starts replica {@code index} again after {@link #kill}; it catches up with the others by itself. */
    public void restart(int index) {
        servers.get(index).restart();
    }

    /**
     * Creates a ReplicatedMergeTree table with a unique name starting with {@code prefix} on every replica, and a
     * Distributed table over them named as it with {@code _all} appended.
     *
     * @param columnsDdl the column list, e.g. {@code "id UInt64, payload String"}
     * @return the qualified name of the replicated table, {@code catflap_test.<prefix>_<suffix>}
     */
    public String createTable(String prefix, String columnsDdl) {
        String name = prefix + "_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        String table = DATABASE + "." + name;
        for (ClickHouseServer replica : replicas) {
            replica.execute("CREATE TABLE " + table + " (" + columnsDdl + ") ENGINE = ReplicatedMergeTree("
                    + "'/clickhouse/tables/{shard}/" + table + "', '{replica}') ORDER BY tuple()");
            replica.execute("CREATE TABLE " + table + "_all AS " + table + " ENGINE = Distributed(" + CLUSTER + ", "
                    + DATABASE + ", " + name + ")");
        }
        return table;
    }

    private static void awaitUntil(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("still not true after " + START_TIMEOUT.toSeconds() + " s: " + what);
            }
            Pause.millis(200);
        }
    }
}
