package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.testkit.ClickHouseServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Many connections sending single-row requests to 4 tables for a few seconds, over KITTEN and HTTP keep-alive:
 * every acked row is in ClickHouse exactly once, and ClickHouse saw far fewer INSERTs than requests.
 */
class IngestLoadIT {
    private static final int TABLES = 4;
    private static final long SECONDS = 3;

    @Test
    void thousandKittenConnections() throws Exception {
        run(LoadClients.KITTEN, 1000, (table, conn) -> table + "(conn,seq)", (conn, seq) -> "(" + conn + "," + seq + ")");
    }

    @Test
    void httpKeepAliveConnectionsInValuesAndJsonEachRow() throws Exception {
        run(LoadClients.HTTP, 200,
                (table, conn) -> "INSERT INTO " + table + " (conn, seq) " + (conn % 2 == 0 ? "VALUES" : "FORMAT JSONEachRow"),
                (conn, seq) -> conn % 2 == 0 ? "(" + conn + "," + seq + ")"
                        : "{\"conn\":" + conn + ",\"seq\":" + seq + "}\n");
    }

    /**
     * @param target what names the table on the wire, from the table and the connection number
     * @param row    the body of request {@code seq} of a connection
     */
    private static void run(LoadClients.Wire wire, int connections, BiFunction<String, Integer, String> target,
                            BiFunction<Integer, Integer, String> row) throws Exception {
        ClickHouseServer ch = ClickHouseServer.shared();
        List<String> tables = new ArrayList<>();
        for (int i = 0; i < TABLES; i++) {
            tables.add(ch.createTable("load", "conn UInt32, seq UInt32"));
        }
        AggregatorConfig config = TestAggregators.local(ch.httpUrl());
        AtomicLong stopAt = new AtomicLong(Long.MAX_VALUE);
        try (Aggregator agg = Aggregator.start(config); LoadClients clients = new LoadClients(wire)) {
            clients.start(agg.port(), connections, (conn, seq) -> System.nanoTime() > stopAt.get() ? null
                    : new LoadClients.Request(target.apply(tables.get(conn % TABLES), conn), row.apply(conn, seq)));
            stopAt.set(System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS));
            assertTrue(clients.awaitFinished(connections, 60_000), "every connection finished");
            assertEquals(connections, clients.open.get(), "no connection was closed");

            List<LoadClients.Outcome> failed = clients.outcomes.stream().filter(o -> o.status() != 200).toList();
            assertEquals(List.of(), failed.subList(0, Math.min(3, failed.size())), "failed requests");
            long requests = clients.outcomes.size();
            assertTrue(requests > connections, "each connection sent more than one request: " + requests);
            Map<Integer, Long> ackedPerTable = clients.outcomes.stream()
                    .collect(Collectors.groupingBy(o -> o.connection() % TABLES, Collectors.counting()));
            long inserts = 0;
            for (int i = 0; i < TABLES; i++) {
                String t = tables.get(i);
                long want = ackedPerTable.getOrDefault(i, 0L);
                assertEquals(want, ch.count(t), "rows in " + t);
                assertEquals(want, Long.parseLong(ch.query("SELECT uniqExact(conn, seq) FROM " + t + " FORMAT TSV")
                        .strip()), "distinct rows in " + t);
                inserts += ch.insertQueryCount(t);
            }
            System.out.printf("%d requests from %d connections became %d INSERTs%n", requests, connections, inserts);
            assertTrue(inserts * 20 < requests, "far fewer INSERTs (" + inserts + ") than requests (" + requests + ")");
        }
    }
}
