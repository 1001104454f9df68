package io.catflap.loadtest;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A thread-safe log-linear histogram of non-negative values (microseconds here) in constant memory.
 *
 * <p>Values below {@value #SUB_BUCKETS} are counted exactly; above, every power-of-two range is split
 * into {@value #SUB_BUCKETS} equal buckets, so a reported percentile is at most 1/{@value #SUB_BUCKETS}
 * (about 3%) above the true sample and never below it. Recording is lock-free; the whole range of a
 * {@code long} fits in under 2,000 counters.
 */
public final class LatencyHistogram {
    private static final int SUB_BITS = 5;
    static final int SUB_BUCKETS = 1 << SUB_BITS;
    private static final int BUCKETS = SUB_BUCKETS + (63 - SUB_BITS) * SUB_BUCKETS;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
    private final LongAdder total = new LongAdder();
    private final AtomicLong max = new AtomicLong();

    /** Records one value; negative values count as zero. */
    public void record(long value) {
        long v = Math.max(0, value);
        counts.incrementAndGet(index(v));
        total.increment();
        max.accumulateAndGet(v, Math::max);
    }

    public long count() {
        return total.sum();
    }

    /** The largest recorded value, exactly; 0 when empty. */
    public long max() {
        return max.get();
    }

    /**
     * The value at quantile {@code q} (0..1]: the upper end of the bucket holding the sample of that rank,
     * capped at the exact maximum; 0 when empty.
     */
    public long percentile(double q) {
        long n = count();
        if (n == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * n));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts.get(i);
            if (seen >= rank) {
                return Math.min(upperBound(i), max());
            }
        }
        return max();
    }

    static int index(long v) {
        if (v < SUB_BUCKETS) {
            return (int) v;
        }
        int magnitude = 63 - Long.numberOfLeadingZeros(v);
        int shift = magnitude - SUB_BITS;
        int sub = (int) (v >>> shift) - SUB_BUCKETS;
        return SUB_BUCKETS + shift * SUB_BUCKETS + sub;
    }

    /** The largest value that falls into bucket {@code i}. */
    static long upperBound(int i) {
        if (i < SUB_BUCKETS) {
            return i;
        }
        int shift = (i - SUB_BUCKETS) / SUB_BUCKETS;
        long sub = (i - SUB_BUCKETS) % SUB_BUCKETS + SUB_BUCKETS;
        long upper = ((sub + 1) << shift) - 1;
        return upper < 0 ? Long.MAX_VALUE : upper;
    }
}
