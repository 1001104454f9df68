package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.protocol.Kitten;
import io.catflap.protocol.KittenStreams;
import io.catflap.protocol.ResponseFrame;
import java.io.IOException;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Backpressure is per table: a table with too many sealed batches waiting upstream (a slow fake upstream for it)
 * parks its senders, while a sender to another table is still read. Fault injection only; the real-server paths
 * are covered by the other integration tests.
 */
class TableBackpressureIT {
    private static final String ROW = "(1,'" + "x".repeat(40) + "')";   // larger than a batch: one batch each

    private static Socket kitten(Aggregator agg) throws IOException {
        Socket s = new Socket("127.0.0.1", agg.port());
        s.setSoTimeout(20_000);
        KittenStreams.writeHandshake(s.getOutputStream(), null);
        assertTrue(KittenStreams.readHandshakeReply(s.getInputStream()).meow());
        return s;
    }

    private static void send(Socket s, String table) throws IOException {
        byte[] b = ROW.getBytes(StandardCharsets.UTF_8);
        KittenStreams.writeRequest(s.getOutputStream(), 0, table, b, 0, b.length);
    }

    private static double requestsIn(Aggregator agg, String table) {
        var c = agg.registry().find("catflap.ingest.bytes").tag("table", table).counter();
        return c == null ? 0 : c.count() / ROW.length();
    }

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long end = System.nanoTime() + 20_000_000_000L;
        while (!done.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertTrue(done.getAsBoolean(), what);
    }

    @Test
    void aCongestedTableParksOnlyItsOwnSenders() throws Exception {
        try (FakeClickHouse upstream = new FakeClickHouse(r -> FakeClickHouse.Answer.ok(
                URLDecoder.decode(r.uri(), StandardCharsets.UTF_8).contains("slow_t") ? 2_000 : 0));
             Aggregator agg = Aggregator.start(TestAggregators.local(upstream.url()).maxInserts(2).batchBytes(16)
                     .flushIntervalMillis(20));
             Socket slow = kitten(agg);
             Socket fast = kitten(agg)) {
            var parked = agg.registry().get("catflap.readers.parked").gauge();
            for (int i = 1; i <= 3; i++) {         // the third sealed batch is one more than max-inserts allows
                send(slow, "db.slow_t(a,s)");
                int n = i;
                await(() -> requestsIn(agg, "db.slow_t") == n, "request " + n + " to the slow table read");
            }
            await(() -> parked.value() == 1, "the slow table's sender is parked");
            send(slow, "db.slow_t(a,s)");
            send(fast, "db.fast_t(a,s)");
            await(() -> requestsIn(agg, "db.fast_t") == 1, "the other table's request is read");
            assertEquals(3, requestsIn(agg, "db.slow_t"), "the parked sender's next request is not read yet");
            assertEquals(1, parked.value());
            for (int i = 0; i < 4; i++) {
                assertEquals(ResponseFrame.OK,
                        KittenStreams.readResponse(slow.getInputStream(), Kitten.MAX_RESPONSE_MESSAGE_BYTES));
            }
            assertEquals(ResponseFrame.OK,
                    KittenStreams.readResponse(fast.getInputStream(), Kitten.MAX_RESPONSE_MESSAGE_BYTES));
            assertEquals(4, requestsIn(agg, "db.slow_t"));
            assertEquals(0, parked.value());
        }
    }
}
