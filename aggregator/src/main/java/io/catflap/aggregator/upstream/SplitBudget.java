package io.catflap.aggregator.upstream;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * How many inserts per second the splitting of failed batches may make on each table.
 *
 * <p>A batch that fails for a bad row is split in halves until only the requests holding bad rows get the error
 * ({@link ErrorPolicy}): one bad request in a batch of n costs about 2 log2(n) extra inserts. A sender that keeps
 * sending bad rows would thereby turn its table's inserts into a stream of small ones, and ClickHouse's parts into
 * "too many parts" for every sender of that table. So every insert of a split part takes a token of its table's
 * bucket first:
 * <pre>
 * bucket per table: rate  = --max-split-inserts tokens per second
 *                   burst = one second's worth (rate tokens), full when the table had no split for a second
 * a split part      takes the next token: inserted at once when there is one, else scheduled on the insert timer
 *                   for when its token comes (never a blocked thread); a part whose token would come after its
 *                   batch's retry deadline takes none, and its senders are answered 503 at once.
 * </pre>
 * Retries of a part (transient errors) take no token: their backoff paces them. Reservations are first come, first
 * served: a later part waits behind earlier ones, so a table's split inserts never exceed rate x seconds + burst.
 *
 * <p>This is the generic cell rate algorithm (GCRA): per table only the time at which the bucket would be full
 * again is kept. Thread-safe.
 */
public final class SplitBudget {
    /** Tables with a bucket beyond which buckets that are full again are dropped (a full bucket is a fresh one). */
    private static final int SWEEP_ABOVE = 1000;

    private final long intervalNanos;
    private final long burstNanos;
    private final LongSupplier clock;
    private final ConcurrentMap<String, Bucket> tables = new ConcurrentHashMap<>();

    /**
     * @param perSecond split inserts per table and second
     * @param clock     System.nanoTime, or a test's clock
     */
    public SplitBudget(int perSecond, LongSupplier clock) {
        if (perSecond <= 0) {
            throw new IllegalArgumentException("split inserts per second must be > 0: " + perSecond);
        }
        this.intervalNanos = TimeUnit.SECONDS.toNanos(1) / perSecond;
        this.burstNanos = intervalNanos * (perSecond - 1);
        this.clock = clock;
    }

    /**
     * Takes the next token of {@code table}'s bucket if it comes by {@code latestNanos}: returns how many
     * nanoseconds from now it comes (0: at once), or -1 when it would come later, with nothing taken.
     */
    public long reserve(String table, long latestNanos) {
        long now = clock.getAsLong();
        if (tables.size() > SWEEP_ABOVE) {
            tables.values().removeIf(b -> b.fullBy(now));
        }
        return tables.computeIfAbsent(table, t -> new Bucket(now)).reserve(now, latestNanos);
    }

    private final class Bucket {
        /** When the bucket is full again if no token is taken meanwhile (GCRA's theoretical arrival time). */
        private long fullAt;

        Bucket(long now) {
            fullAt = now;
        }

        synchronized long reserve(long now, long latestNanos) {
            long at = Math.max(now, fullAt - burstNanos);
            if (at - latestNanos > 0) {
                return -1;
            }
            fullAt = Math.max(fullAt, now) + intervalNanos;
            return at - now;
        }

        synchronized boolean fullBy(long now) {
            return fullAt - now <= 0;
        }
    }
}
