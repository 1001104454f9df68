package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.select.Waits;
import io.catflap.protocol.Kitten;
import io.catflap.protocol.KittenStreams;
import io.catflap.protocol.ResponseFrame;
import java.io.IOException;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Backpressure is per table: a table with too many sealed batches waiting upstream (a fake upstream that holds its
 * inserts until the test lets them go) parks its senders, while a sender to another table is still read. Fault
 * injection only; the real-server paths are covered by the integration tests.
 */
class TableBackpressureTest {
    private static final String ROW = "(1,'" + "x".repeat(40) + "')";   // larger than a batch: one batch each

    private static Socket kitten(Aggregator agg) throws IOException {
        Socket s = new Socket("127.0.0.1", agg.port());
        s.setSoTimeout(60_000);
        KittenStreams.writeHandshake(s.getOutputStream(), null);
        assertTrue(KittenStreams.readHandshakeReply(s.getInputStream()).meow());
        return s;
    }

    private static void send(Socket s, String table) throws IOException {
        byte[] b = ROW.getBytes(StandardCharsets.UTF_8);
        KittenStreams.writeRequest(s.getOutputStream(), 0, table, b, 0, b.length);
    }

    /** Requests counted for {@code table}: they are counted once answered. */
    private static double requestsIn(Aggregator agg, String table) {
        var c = agg.registry().find("catflap.ingest.bytes").tag("table", table).counter();
        return c == null ? 0 : c.count() / ROW.length();
    }

    /** Requests read and not yet answered: each holds its row in batch memory. */
    private static double held(Aggregator agg) {
        return agg.registry().get("catflap.batch.held_bytes").gauge().value() / ROW.length();
    }

    private static double keys(Aggregator agg) {
        return agg.registry().get("catflap.batch.keys").gauge().value();
    }

    @Test
    void aCongestedTableParksOnlyItsOwnSenders() throws Exception {
        CompletableFuture<Void> slowTableDrains = new CompletableFuture<>();
        try (FakeClickHouse upstream = new FakeClickHouse(r ->
                URLDecoder.decode(r.uri(), StandardCharsets.UTF_8).contains("slow_t")
                        ? FakeClickHouse.Answer.okWhen(slowTableDrains) : FakeClickHouse.Answer.ok(0));
             Aggregator agg = Aggregator.start(TestAggregators.local(upstream.url()).maxInserts(2).batchBytes(16)
                     .flushIntervalMillis(20));
             Socket slow = kitten(agg);
             Socket fast = kitten(agg)) {
            var parked = agg.registry().get("catflap.readers.parked").gauge();
            for (int i = 1; i <= 3; i++) {         // the third sealed batch is one more than max-inserts allows
                send(slow, "db.slow_t(a,s)");
                int n = i;
                Waits.until("request " + n + " to the slow table read", () -> held(agg) == n);
            }
            Waits.until("the slow table's sender is parked", () -> parked.value() == 1);
            send(slow, "db.slow_t(a,s)");
            send(fast, "db.fast_t(a,s)");
            Waits.until("the other table's request is read", () -> keys(agg) == 2);
            assertEquals(4, held(agg), "three slow requests and the fast one: the parked sender's next is not read");
            assertEquals(1, parked.value());
            slowTableDrains.complete(null);
            assertEquals(ResponseFrame.OK,
                    KittenStreams.readResponse(fast.getInputStream(), Kitten.MAX_RESPONSE_MESSAGE_BYTES));
            for (int i = 0; i < 4; i++) {
                assertEquals(ResponseFrame.OK,
                        KittenStreams.readResponse(slow.getInputStream(), Kitten.MAX_RESPONSE_MESSAGE_BYTES));
            }
            Waits.until("the slow table's four requests counted", () -> requestsIn(agg, "db.slow_t") == 4);
            assertEquals(0, parked.value());
            assertEquals(5, upstream.committed().stream().filter(ROW::equals).count(), "every acked row went upstream");
        }
    }
}
