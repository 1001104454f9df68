package io.catflap.aggregator.batch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The open batch of one {@link BatchKey}: requests are appended until the batch reaches the byte or row limit or
 * is flush-interval old, then it is sealed and handed on. Thread-safe: connections on any event loop append.
 */
public final class TableBatch {
    /** ClickHouse commits an insert in blocks of max_insert_block_size rows; below it an insert is atomic. */
    public static final long MAX_ROWS = 1_048_575;
    private static final int INITIAL_CAPACITY = 4096;

    private final BatchKey key;
    private final int maxBytes;
    private final long flushIntervalNanos;
    private final ByteBufAllocator alloc;
    private final EventExecutor timer;
    private final BatchMemory memory;
    private final BatchSink sealed;
    private final AtomicInteger sealedPending = new AtomicInteger();
    private final AtomicLong rowsIn = new AtomicLong();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong requestsIn = new AtomicLong();
    private final AtomicLong insertsDone = new AtomicLong();
    private final Counter rowsCounter;
    private final Counter bytesCounter;
    private volatile InsertError lastError;

    private Batch open;
    private ScheduledFuture<?> flushTimer;

    /** The latest error ClickHouse or the upstream gave for this key. */
    public record InsertError(long atMillis, int code, String message) { }

    TableBatch(BatchKey key, int maxBytes, long flushIntervalNanos, ByteBufAllocator alloc, EventExecutor timer,
               BatchMemory memory, BatchSink sealed, MeterRegistry registry) {
        this.key = key;
        this.maxBytes = maxBytes;
        this.flushIntervalNanos = flushIntervalNanos;
        this.alloc = alloc;
        this.timer = timer;
        this.memory = memory;
        this.sealed = sealed;
        String table = key.tableName();
        this.rowsCounter = Counter.builder("catflap.ingest.rows")
                .description("Rows received (an upper bound for VALUES and binary formats)")
                .tag("table", table).register(registry);
        this.bytesCounter = Counter.builder("catflap.ingest.bytes").description("Body bytes received")
                .baseUnit("bytes").tag("table", table).register(registry);
    }

    /** Appends a copy of {@code body} (not released); seals first if it would not fit, and after if full. */
    void append(ByteBuf body, long rows, Ack ack) {
        count(body.readableBytes(), rows);
        Batch full = null;
        Batch done = null;
        synchronized (this) {
            if (open != null && (open.sizeWith(body.readableBytes()) > maxBytes || open.rows() + rows > MAX_ROWS)) {
                full = sealLocked();
            }
            if (open == null) {
                open = Batch.open(key, alloc, Math.min(maxBytes, Math.max(INITIAL_CAPACITY, body.readableBytes() * 2)),
                        maxBytes + 1, memory);
                Batch mine = open;
                flushTimer = timer.schedule(() -> sealIfOpen(mine), flushIntervalNanos, TimeUnit.NANOSECONDS);
            }
            open.append(body, rows, ack);
            if (open.bytes() >= maxBytes || open.rows() >= MAX_ROWS) {
                done = sealLocked();
            }
        }
        handOn(full);
        handOn(done);
    }

    /** Counts a request of this key that bypasses the open batch (inserted on its own). */
    void count(int bytes, long rows) {
        requestsIn.incrementAndGet();
        bytesIn.addAndGet(bytes);
        rowsIn.addAndGet(rows);
        rowsCounter.increment(rows);
        bytesCounter.increment(bytes);
    }

    /** Seals the open batch now (flush interval or shutdown). */
    void flush() {
        Batch b;
        synchronized (this) {
            b = open == null ? null : sealLocked();
        }
        handOn(b);
    }

    private void sealIfOpen(Batch expected) {
        Batch b = null;
        synchronized (this) {
            if (open == expected) {
                b = sealLocked();
            }
        }
        handOn(b);
    }

    private Batch sealLocked() {
        Batch b = open;
        open = null;
        flushTimer.cancel(false);
        flushTimer = null;
        return b;
    }

    private void handOn(Batch b) {
        if (b != null) {
            sealed.write(b, this);
        }
    }

    /** Counts a sealed batch handed upstream; returns how many are pending now. */
    int sealedAdded() {
        return sealedPending.incrementAndGet();
    }

    /** Counts a sealed batch that was fully answered; returns how many are still pending. */
    int sealedDone(InsertError errorOrNull) {
        insertsDone.incrementAndGet();
        if (errorOrNull != null) {
            lastError = errorOrNull;
        }
        return sealedPending.decrementAndGet();
    }

    public BatchKey key() {
        return key;
    }

    /** Sealed batches not yet answered (waiting for or in an upstream insert). */
    public int sealedPending() {
        return sealedPending.get();
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

    public InsertError lastError() {
        return lastError;
    }

    /** Open batch bytes, rows and age in millis (zeros when none is open). */
    public synchronized long[] openBatch() {
        return open == null ? new long[3]
                : new long[] {open.bytes(), open.rows(), TimeUnit.NANOSECONDS.toMillis(open.ageNanos())};
    }
}
