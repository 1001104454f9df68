package io.catflap.aggregator.batch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Cumulative figures of one table over all its keys (users, columns, formats), or of every table without series of
 * its own ({@link TrackedTables#OTHER}). They outlive the batch state of the keys, which is dropped when a key falls
 * idle, so that the status and the metrics stay cumulative while the table is in use. Thread-safe.
 */
public final class TableTotals {
    private final String table;
    private final AtomicLong rowsIn = new AtomicLong();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong requestsIn = new AtomicLong();
    private final AtomicLong insertsDone = new AtomicLong();
    private final Counter rowsCounter;
    private final Counter bytesCounter;
    private volatile TableBatch.InsertError lastError;
    /** When a request was last counted or a batch answered (System.nanoTime). */
    private volatile long lastActive = System.nanoTime();

    /** @param table {@code db.table} as {@link BatchKey#tableName()} gives it, or {@link TrackedTables#OTHER} */
    TableTotals(String table, MeterRegistry registry) {
        this.table = table;
        this.rowsCounter = Counter.builder("catflap.ingest.rows")
                .description("Rows received (an upper bound for VALUES and binary formats)")
                .tag("table", table).register(registry);
        this.bytesCounter = Counter.builder("catflap.ingest.bytes").description("Body bytes received")
                .baseUnit("bytes").tag("table", table).register(registry);
    }

    /** Counts requests received. */
    void count(long requests, long bytes, long rows) {
        lastActive = System.nanoTime();
        requestsIn.addAndGet(requests);
        bytesIn.addAndGet(bytes);
        rowsIn.addAndGet(rows);
        rowsCounter.increment(rows);
        bytesCounter.increment(bytes);
    }

    /** Counts one batch fully answered, with its last error or null. */
    void done(TableBatch.InsertError errorOrNull) {
        lastActive = System.nanoTime();
        insertsDone.incrementAndGet();
        if (errorOrNull != null) {
            lastError = errorOrNull;
        }
    }

    /** True if nothing was counted for {@code idleNanos}. */
    boolean idleSince(long nowNanos, long idleNanos) {
        return nowNanos - lastActive >= idleNanos;
    }

    public String table() {
        return table;
    }

    public long rowsIn() {
        return rowsIn.get();
    }

    public long bytesIn() {
        return bytesIn.get();
    }

    public long requestsIn() {
        return requestsIn.get();
    }

    public long insertsDone() {
        return insertsDone.get();
    }

    /** The latest error ClickHouse or the upstream gave for this table, or null. */
    public TableBatch.InsertError lastError() {
        return lastError;
    }
}
