package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.testkit.ClickHouseServer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One sender's bad row in a batch shared with 50 good senders: only that sender gets ClickHouse's error. */
class BadRowIsolationIT {
    private static final int GOOD = 50;

    @Test
    void onlyTheSenderOfTheBadRowGetsTheError() throws Exception {
        ClickHouseServer ch = ClickHouseServer.shared();
        String table = ch.createTable("bad_row", "conn UInt32, v UInt64");
        // a long flush gap after a first insert puts all 51 requests that follow it into one batch
        AggregatorConfig config = TestAggregators.local(ch.httpUrl()).flushIntervalMillis(1500)
                .minFlushGapMillis(1500);
        int bad = 17;
        try (Aggregator agg = Aggregator.start(config); LoadClients first = new LoadClients(LoadClients.KITTEN);
             LoadClients clients = new LoadClients(LoadClients.KITTEN)) {
            first.start(agg.port(), 1, (conn, seq) -> seq > 0 ? null
                    : new LoadClients.Request(table + "(conn,v)", "(1000,0)"));
            assertTrue(first.awaitFinished(1, 30_000));
            clients.start(agg.port(), GOOD + 1, (conn, seq) -> seq > 0 ? null
                    : new LoadClients.Request(table + "(conn,v)",
                    conn == bad ? "(" + conn + ",'not a number')" : "(" + conn + "," + conn * 10 + ")"));
            assertTrue(clients.awaitFinished(GOOD + 1, 30_000));

            List<LoadClients.Outcome> failed = clients.outcomes.stream().filter(o -> o.status() != 200).toList();
            assertEquals(1, failed.size(), "exactly one failure: " + failed);
            assertEquals(bad, failed.get(0).connection());
            assertTrue(failed.get(0).message().startsWith("Code: "), failed.get(0).message());
            assertEquals(GOOD, clients.outcomes.stream().filter(o -> o.status() == 200).count());
            assertEquals(GOOD + 1, ch.count(table), "and the first request's row");
            assertEquals(0, ch.count(table, "conn = " + bad));
            double splits = agg.registry().get("catflap.batch.splits").counter().count();
            assertTrue(splits >= 1, "the batch was split: " + splits);
            // the first request, 1 merged insert + at most 2 per split level (log2(51) < 6) on the bad branch
            assertTrue(ch.insertQueryCount(table) <= 2 + 2 * 6, "inserts: " + ch.insertQueryCount(table));
        }
    }
}
