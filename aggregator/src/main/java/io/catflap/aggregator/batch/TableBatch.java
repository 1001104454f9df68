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
 * its {@link SealPolicy} lets it leave, then it is sealed and handed on. Thread-safe: connections on any event loop
 * append.
 *
 * <p>The policy is asked when a batch opens and when an insert of the key is answered; in between, one timer on
 * {@code timer} waits for the time it named (never a task per request). Times come from that timer's clock.
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
    private final SealPolicy policy;
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
    private long openedNanos;
    private ScheduledFuture<?> sealTimer;
    private long sealTimerAt;
    private boolean retired;
    /** Senders parked until the sealed batches drop back to the limit, or null. */
    private List<Runnable> parked;

    /** The latest error ClickHouse or the upstream gave for this key. */
    public record InsertError(long atMillis, int code, String message) { }

    TableBatch(BatchKey key, int maxBytes, SealPolicy policy, ByteBufAllocator alloc, EventExecutor timer,
               BatchMemory memory, BatchSink sealed) {
        this.key = key;
        this.maxBytes = maxBytes;
        this.policy = policy;
        this.alloc = alloc;
        this.timer = timer;
        this.memory = memory;
        this.sealed = sealed;
    }

    /**
     * Appends a copy of {@code body} (not released); seals first if it would not fit, and after if full or if the
     * batch it opened may leave at once. False, with nothing done, when this key was retired meanwhile.
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
            boolean opened = open == null;
            if (opened) {
                open = Batch.open(key, alloc, Math.min(maxBytes, Math.max(INITIAL_CAPACITY, body.readableBytes() * 2)),
                        maxBytes + 1, memory);
                openedNanos = now();
                lastActive = System.nanoTime();
            }
            open.append(body, rows, ack);
            count(body.readableBytes(), rows);
            if (open.bytes() >= maxBytes || open.rows() >= MAX_ROWS) {
                done = sealLocked();
            } else if (opened) {
                done = dueLocked();
            }
        }
        handOn(full);
        handOn(done);
        return true;
    }

    /**
     * Takes a request of this key that bypasses the open batch (inserted on its own, by the caller, at once): counts
     * it and its insert. False, with nothing done, when this key was retired meanwhile.
     */
    synchronized boolean takeAlone(int bytes, long rows) {
        if (retired) {
            return false;
        }
        lastActive = System.nanoTime();
        count(bytes, rows);
        sentLocked();
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

    /** Retires this key if it has had no open and no sealed batch for {@code idleNanos}; true if it is retired. */
    synchronized boolean retireIfIdle(long nowNanos, long idleNanos) {
        if (!retired && open == null && sealedPending.get() == 0 && nowNanos - lastActive >= idleNanos) {
            retired = true;
        }
        return retired;
    }

    /** Seals the open batch now (shutdown). */
    void flush() {
        Batch b;
        synchronized (this) {
            b = open == null ? null : sealLocked();
        }
        handOn(b);
    }

    /**
     * Seals the open batch if its policy lets it leave now, else sets the timer for when it will (unless the timer
     * is already set for earlier: it then asks again). Null when there is nothing to hand on.
     */
    private Batch dueLocked() {
        if (open == null) {
            return null;
        }
        long now = now();
        long at = policy.sealAt(openedNanos, sealedPending.get() > 0);
        if (at - now <= 0) {
            return sealLocked();
        }
        if (sealTimer == null || at - sealTimerAt < 0) {
            cancelTimerLocked();
            sealTimerAt = at;
            sealTimer = timer.schedule(() -> onTimer(at), at - now, TimeUnit.NANOSECONDS);
        }
        return null;
    }

    private void onTimer(long at) {
        Batch b;
        synchronized (this) {
            if (sealTimer != null && sealTimerAt == at) {
                sealTimer = null;
            }
            b = dueLocked();
        }
        handOn(b);
    }

    private Batch sealLocked() {
        Batch b = open;
        open = null;
        cancelTimerLocked();
        sentLocked();
        return b;
    }

    private void cancelTimerLocked() {
        if (sealTimer != null) {
            sealTimer.cancel(false);
            sealTimer = null;
        }
    }

    /** Counts an insert of this key as in flight from now until it is {@linkplain #answered answered}. */
    private void sentLocked() {
        sealedPending.incrementAndGet();
        policy.sent(now());
    }

    /** The clock of the timer, so that a test's frozen timer holds it too. */
    long now() {
        return timer.ticker().nanoTime();
    }

    private void handOn(Batch b) {
        if (b != null) {
            sealed.write(b, this);
        }
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

    /**
     * Counts an insert of this key (sealed batch or request taken alone) that was fully answered {@code latencyNanos}
     * after it was sent, and seals the open batch if it may leave now; returns how many inserts are still pending.
     */
    int answered(long latencyNanos) {
        Batch b;
        int pending;
        synchronized (this) {
            lastActive = System.nanoTime();
            pending = sealedPending.decrementAndGet();
            policy.answered(latencyNanos);
            b = dueLocked();
        }
        handOn(b);
        return pending;
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
                : new long[] {open.bytes(), open.rows(), TimeUnit.NANOSECONDS.toMillis(now() - openedNanos)};
    }

    /** The key's flush gap now ({@link SealPolicy}), in millis. */
    public synchronized long flushGapMillis() {
        return TimeUnit.NANOSECONDS.toMillis(policy.gapNanos());
    }
}
