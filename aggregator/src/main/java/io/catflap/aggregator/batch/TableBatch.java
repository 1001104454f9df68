package io.catflap.aggregator.batch;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The open batch of one {@link BatchKey}: requests are appended until the batch reaches the byte or row limit or
 * is flush-interval old, then it is sealed and handed on. Thread-safe: connections on any event loop append.
 *
 * <p>A key that has had no open and no sealed batch for a while is {@linkplain #retireIfIdle retired} and dropped
 * by the {@link Batcher}; a retired instance refuses requests, so that none is left behind in it, and the
 * {@link Batcher} makes a fresh one.
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
    /**
     * Requests, bytes and rows received since the last answered batch, under this object's lock: they go to the
     * table's figures (or to {@link TrackedTables#OTHER}) once an answer said whether the table exists.
     */
    private long newRequests;
    private long newBytes;
    private long newRows;
    private final AtomicInteger sealedPending = new AtomicInteger();
    /** When a batch was last opened or answered, or a request inserted on its own (System.nanoTime). */
    private volatile long lastActive = System.nanoTime();

    private Batch open;
    private ScheduledFuture<?> flushTimer;
    private boolean retired;
    /** Senders parked until the sealed batches drop back to the limit, or null. */
    private List<Runnable> parked;

    /** The latest error ClickHouse or the upstream gave for this key. */
    public record InsertError(long atMillis, int code, String message) { }

    TableBatch(BatchKey key, int maxBytes, long flushIntervalNanos, ByteBufAllocator alloc, EventExecutor timer,
               BatchMemory memory, BatchSink sealed) {
        this.key = key;
        this.maxBytes = maxBytes;
        this.flushIntervalNanos = flushIntervalNanos;
        this.alloc = alloc;
        this.timer = timer;
        this.memory = memory;
        this.sealed = sealed;
    }

    /**
     * Appends a copy of {@code body} (not released); seals first if it would not fit, and after if full. False,
     * with nothing done, when this key was retired meanwhile.
     */
    boolean append(ByteBuf body, long rows, Ack ack) {
        Batch full = null;
        Batch done = null;
        synchronized (this) {
            if (retired) {
                return false;
            }
            if (open != null && (open.sizeWith(body.readableBytes()) > maxBytes || open.rows() + rows > MAX_ROWS)) {
                full = sealLocked();
            }
            if (open == null) {
                open = Batch.open(key, alloc, Math.min(maxBytes, Math.max(INITIAL_CAPACITY, body.readableBytes() * 2)),
                        maxBytes + 1, memory);
                lastActive = System.nanoTime();
                Batch mine = open;
                flushTimer = timer.schedule(() -> sealIfOpen(mine), flushIntervalNanos, TimeUnit.NANOSECONDS);
            }
            open.append(body, rows, ack);
            count(body.readableBytes(), rows);
            if (open.bytes() >= maxBytes || open.rows() >= MAX_ROWS) {
                done = sealLocked();
            }
        }
        handOn(full);
        handOn(done);
        return true;
    }

    /**
     * Takes a request of this key that bypasses the open batch (inserted on its own): counts it and keeps the key
     * from retiring for a while. False, with nothing done, when this key was retired meanwhile.
     */
    synchronized boolean takeAlone(int bytes, long rows) {
        if (retired) {
            return false;
        }
        lastActive = System.nanoTime();
        count(bytes, rows);
        return true;
    }

    private void count(long bytes, long rows) {
        newRequests++;
        newBytes += bytes;
        newRows += rows;
    }

    /** Moves what was received since the last call to {@code totals}. */
    synchronized void countInto(TableTotals totals) {
        totals.count(newRequests, newBytes, newRows);
        newRequests = 0;
        newBytes = 0;
        newRows = 0;
    }

    /**
     * Retires this key if it has had no open and no sealed batch for {@code idleNanos}; true if it is retired.
     * A request just {@linkplain #takeAlone taken alone} is not yet counted as sealed, but it refreshed the idle
     * time, so the key is not retired under it.
     */
    synchronized boolean retireIfIdle(long nowNanos, long idleNanos) {
        if (!retired && open == null && sealedPending.get() == 0 && nowNanos - lastActive >= idleNanos) {
            retired = true;
        }
        return retired;
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

    /** Counts a sealed batch handed upstream. */
    void sealedAdded() {
        sealedPending.incrementAndGet();
    }

    /** Parks {@code resume} if more than {@code max} sealed batches are pending; see {@link #relieved}. */
    synchronized boolean parkIfOver(int max, Runnable resume) {
        if (sealedPending.get() <= max) {
            return false;
        }
        if (parked == null) {
            parked = new ArrayList<>();
        }
        parked.add(resume);
        return true;
    }

    /**
     * The parked senders to resume, taken out, once no more than {@code max} sealed batches are pending. Called
     * after every drop to {@code max}: a sender parked before it is found here, one that came after it saw the
     * drop and did not park.
     */
    synchronized List<Runnable> relieved(int max) {
        if (parked == null || sealedPending.get() > max) {
            return List.of();
        }
        List<Runnable> r = parked;
        parked = null;
        return r;
    }

    /** Counts a sealed batch that was fully answered; returns how many are still pending. */
    int sealedDone() {
        lastActive = System.nanoTime();   // before the count drops: whoever sees it drop sees this too
        return sealedPending.decrementAndGet();
    }

    public BatchKey key() {
        return key;
    }

    /** Sealed batches not yet answered (waiting for or in an upstream insert). */
    public int sealedPending() {
        return sealedPending.get();
    }

    /** Open batch bytes, rows and age in millis (zeros when none is open). */
    public synchronized long[] openBatch() {
        return open == null ? new long[3]
                : new long[] {open.bytes(), open.rows(), TimeUnit.NANOSECONDS.toMillis(open.ageNanos())};
    }
}
