package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A slow upstream (a fake: the slowness is the injected fault) and 2000 connections flooding the aggregator: bytes
 * held in batches stay under the configured bound and no more than max-readers connections are read at once; the
 * rest wait (TCP backpressure). Every acked row went upstream.
 */
class FloodBackpressureTest {
    private static final int CONNECTIONS = 2000;
    private static final int MAX_READERS = 10;
    private static final int BATCH_BYTES = 16 << 10;
    private static final int MAX_REQUEST_BYTES = 4 << 10;
    private static final long MAX_BATCH_MEMORY = 128 << 10;

    @Test
    void memoryAndReadersStayBounded() throws Exception {
        String row = "(1,'" + "x".repeat(1000) + "')";
        try (FakeClickHouse upstream = new FakeClickHouse(r -> FakeClickHouse.Answer.ok(100))) {
            AggregatorConfig config = TestAggregators.local(upstream.url()).maxReaders(MAX_READERS).maxInserts(4)
                    .batchBytes(BATCH_BYTES)
                    .maxRequestBytes(MAX_REQUEST_BYTES).maxBatchMemory(MAX_BATCH_MEMORY).flushIntervalMillis(50);
            AtomicBoolean sending = new AtomicBoolean(true);
            try (Aggregator agg = Aggregator.start(config); LoadClients clients = new LoadClients(LoadClients.KITTEN)) {
                var readers = agg.registry().get("catflap.readers.in_use").gauge();
                var waiting = agg.registry().get("catflap.readers.waiting").gauge();
                var held = agg.registry().get("catflap.batch.held_bytes").gauge();
                double maxReaders = 0;
                double maxWaiting = 0;
                double maxHeld = 0;
                clients.start(agg.port(), CONNECTIONS, (conn, seq) -> sending.get()
                        ? new LoadClients.Request("db.t(a,s)", row) : null);
                // until every connection, however long it waited for a reader, has been answered
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
                while (clients.outcomes.stream().map(LoadClients.Outcome::connection).distinct().count()
                        < CONNECTIONS) {
                    assertTrue(System.nanoTime() < deadline, "every connection answered within two minutes");
                    maxReaders = Math.max(maxReaders, readers.value());
                    maxWaiting = Math.max(maxWaiting, waiting.value());
                    maxHeld = Math.max(maxHeld, held.value());
                    Thread.sleep(5);
                }
                sending.set(false);
                assertTrue(clients.awaitFinished(CONNECTIONS, 60_000), "every connection got its last answer");
                // a request admitted just before the bound was reached still enters a batch, growing it by at most
                // one batch buffer
                double bound = MAX_BATCH_MEMORY + MAX_READERS * (BATCH_BYTES + 1.0 + MAX_REQUEST_BYTES);
                System.out.printf("flood: max readers %.0f, max waiting %.0f, max held %.0f bytes (bound %.0f), "
                        + "%d requests answered, %d upstream inserts%n", maxReaders, maxWaiting, maxHeld, bound,
                        clients.outcomes.size(), upstream.received.size());
                assertTrue(maxReaders <= MAX_READERS, "readers in use " + maxReaders);
                assertTrue(maxWaiting > 100, "connections waited for a reader: " + maxWaiting);
                assertTrue(maxHeld > 0 && maxHeld <= bound, "held " + maxHeld + " bound " + bound);
                assertEquals(0, clients.outcomes.stream().filter(o -> o.status() != 200).count());
                assertEquals(CONNECTIONS, clients.open.get());
                long rowsUpstream = upstream.committed().stream().mapToLong(b -> b.split("\\(1,'", -1).length - 1)
                        .sum();
                assertEquals(clients.outcomes.size(), rowsUpstream, "every acked row went upstream, once");
            }
        }
    }
}
