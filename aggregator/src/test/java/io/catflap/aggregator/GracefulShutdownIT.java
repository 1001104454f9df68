package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.select.Waits;
import io.catflap.testkit.ClickHouseServer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Shutdown under load: exactly the acked rows are in ClickHouse, once; every request the aggregator had read got
 * its answer, and the connections of the rest were closed — none is left hanging.
 */
class GracefulShutdownIT {
    private static final int CONNECTIONS = 300;

    @Test
    void everyAckedRowLandsAndNoRequestHangs() throws Exception {
        ClickHouseServer ch = ClickHouseServer.shared();
        String table = ch.createTable("shutdown", "conn UInt32, seq UInt32");
        AggregatorConfig config = TestAggregators.local(ch.httpUrl()).flushIntervalMillis(300).shutdownGraceMillis(10_000);
        try (LoadClients clients = new LoadClients(LoadClients.KITTEN)) {
            Aggregator agg = Aggregator.start(config);
            clients.start(agg.port(), CONNECTIONS, (conn, seq) ->
                    new LoadClients.Request(table + "(conn,seq)", "(" + conn + "," + seq + ")"));
            Waits.until("the load is running", () -> clients.outcomes.size() > 3 * CONNECTIONS);
            agg.close();
            assertTrue(clients.awaitFinished(CONNECTIONS, 30_000), "every connection ended");
            assertEquals(0, clients.open.get(), "the aggregator closed every connection");

            Set<String> acked = clients.outcomes.stream().filter(o -> o.status() == 200)
                    .map(o -> o.connection() + "\t" + o.seq()).collect(Collectors.toSet());
            long answeredWithError = clients.outcomes.stream().filter(o -> o.status() > 0 && o.status() != 200).count();
            long cutOff = clients.outcomes.stream().filter(o -> o.status() < 0).count();
            String[] rows = ch.query("SELECT conn, seq FROM " + table + " FORMAT TSV").split("\n");
            Set<String> stored = new HashSet<>(Arrays.asList(rows));
            stored.remove("");
            System.out.printf("shutdown: %d acked, %d answered with an error, %d cut off by the close, %d stored%n",
                    acked.size(), answeredWithError, cutOff, stored.size());
            assertTrue(acked.size() > CONNECTIONS, "load was running: " + acked.size());
            assertEquals(stored.size(), rows.length, "no row stored twice");
            Set<String> missing = new HashSet<>(acked);
            missing.removeAll(stored);
            assertEquals(Set.of(), missing, "acked rows missing in ClickHouse");
            Set<String> unacked = new HashSet<>(stored);
            unacked.removeAll(acked);
            assertEquals(Set.of(), unacked, "rows in ClickHouse whose sender got no ack");
            // One row per request: every request the aggregator read got its answer. The close cuts off only
            // requests still unread in the kernel (at most one per connection), which the sender may resend.
            // (A request refused with 503 as the batches closed was read and answered, but never counted.)
            long read = (long) agg.registry().get("catflap.ingest.rows").tag("table", table).counter().count();
            assertTrue(read >= acked.size() && read <= acked.size() + answeredWithError,
                    "requests read and answered: " + read + " counted, " + acked.size() + " acked, "
                            + answeredWithError + " answered with an error");
            assertTrue(cutOff <= CONNECTIONS, "at most one request cut off per connection: " + cutOff);
        }
    }
}
