package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.testkit.ClickHouseServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Many connections sending single-row requests to 4 tables, over KITTEN and HTTP keep-alive: every acked row is in
 * ClickHouse exactly once, and requests shared INSERTs as far as the batch size allows.
 */
class IngestLoadIT {
    private static final int TABLES = 4;
    private static final int REQUESTS_PER_CONNECTION = 20;
    /**
     * Seals what a key's waiting senders cannot fill, at the latest. A batch that is not full leaves at least a min
     * flush gap after the key's previous insert, so the load's duration bounds how many such batches a key seals.
     */
    private static final long FLUSH_MILLIS = 200;
    private static final long MIN_GAP_MILLIS = 25;

    @Test
    void thousandKittenConnections() throws Exception {
        run(LoadClients.KITTEN, 1, 1000, 512, (table, conn) -> table + "(conn,seq)",
                (conn, seq) -> "(" + conn + "," + seq + ")");
    }

    @Test
    void httpKeepAliveConnectionsInValuesAndJsonEachRow() throws Exception {
        run(LoadClients.HTTP, 2, 200, 128,
                (table, conn) -> "INSERT INTO " + table + " (conn, seq) " + (conn % 2 == 0 ? "VALUES" : "FORMAT JSONEachRow"),
                (conn, seq) -> conn % 2 == 0 ? "(" + conn + "," + seq + ")"
                        : "{\"conn\":" + conn + ",\"seq\":" + seq + "}\n");
    }

    /**
     * @param keysPerTable batch keys each table's requests fall into (one per format)
     * @param batchBytes   small enough that a batch key's connections have several batches' worth of rows waiting
     * @param target       what names the table on the wire, from the table and the connection number
     * @param row          the body of request {@code seq} of a connection
     */
    private static void run(LoadClients.Wire wire, int keysPerTable, int connections, int batchBytes,
                            BiFunction<String, Integer, String> target, BiFunction<Integer, Integer, String> row)
            throws Exception {
        ClickHouseServer ch = ClickHouseServer.shared();
        List<String> tables = new ArrayList<>();
        for (int i = 0; i < TABLES; i++) {
            tables.add(ch.createTable("load", "conn UInt32, seq UInt32"));
        }
        AggregatorConfig config = TestAggregators.local(ch.httpUrl()).batchBytes(batchBytes)
                .flushIntervalMillis(FLUSH_MILLIS).minFlushGapMillis(MIN_GAP_MILLIS);
        try (Aggregator agg = Aggregator.start(config); LoadClients clients = new LoadClients(wire)) {
            long started = System.nanoTime();
            clients.start(agg.port(), connections, (conn, seq) -> seq == REQUESTS_PER_CONNECTION ? null
                    : new LoadClients.Request(target.apply(tables.get(conn % TABLES), conn), row.apply(conn, seq)));
            assertTrue(clients.awaitFinished(connections, 180_000), "every connection finished");
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertEquals(connections, clients.open.get(), "no connection was closed");

            List<LoadClients.Outcome> failed = clients.outcomes.stream().filter(o -> o.status() != 200).toList();
            assertEquals(List.of(), failed.subList(0, Math.min(3, failed.size())), "failed requests");
            assertEquals(connections * REQUESTS_PER_CONNECTION, clients.outcomes.size(), "requests answered");
            Map<Integer, List<LoadClients.Outcome>> ackedPerTable = clients.outcomes.stream()
                    .collect(Collectors.groupingBy(o -> o.connection() % TABLES));
            int longestBody = clients.outcomes.stream().mapToInt(o -> o.request().body().length()).max().orElseThrow();
            // A batch is sealed when full, when the next body would not fit (so it holds more than
            // batchBytes - longestBody - 1 bytes, bodies and one separator each), or by its seal policy.
            long timedBatches = keysPerTable * (elapsedMillis / MIN_GAP_MILLIS + 1);
            for (int i = 0; i < TABLES; i++) {
                String t = tables.get(i);
                List<LoadClients.Outcome> acked = ackedPerTable.getOrDefault(i, List.of());
                assertEquals(acked.size(), ch.count(t), "rows in " + t);
                assertEquals(acked.size(), Long.parseLong(ch.query("SELECT uniqExact(conn, seq) FROM " + t
                        + " FORMAT TSV").strip()), "distinct rows in " + t);
                long bytes = acked.stream().mapToLong(o -> o.request().body().length() + 1).sum();
                long allowed = bytes / (batchBytes - longestBody - 1) + timedBatches;
                long inserts = ch.insertQueryCount(t);
                System.out.printf("%s: %d requests became %d INSERTs (at most %d allowed)%n", t, acked.size(),
                        inserts, allowed);
                assertTrue(inserts <= allowed, t + ": " + acked.size() + " requests in " + inserts
                        + " INSERTs, more than " + allowed + " batches of " + batchBytes + " bytes");
            }
        }
    }
}
