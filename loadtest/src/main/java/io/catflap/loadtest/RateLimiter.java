package io.catflap.loadtest;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Spaces work evenly to a total rate shared by all callers, without blocking: each caller reserves the next
 * free slot (for one or more units: requests, bytes) and is told when it may start. Unused slots do not
 * accumulate into a burst.
 */
final class RateLimiter {
    private final long intervalNanos;
    private final AtomicLong nextSlot = new AtomicLong(Long.MIN_VALUE);

    /** {@code perSecond <= 0} means unlimited. */
    RateLimiter(double perSecond) {
        this.intervalNanos = perSecond <= 0 ? 0 : Math.max(1, Math.round(1e9 / perSecond));
    }

    /** Reserves one slot and returns its start time in {@link System#nanoTime()} terms (never before {@code now}). */
    long reserve(long now) {
        return reserve(now, 1);
    }

    /** Reserves {@code units} slots in a row and returns when the first starts. */
    long reserve(long now, long units) {
        if (intervalNanos == 0) {
            return now;
        }
        while (true) {
            long next = nextSlot.get();
            long slot = next == Long.MIN_VALUE || next - now < 0 ? now : next;
            if (nextSlot.compareAndSet(next, slot + units * intervalNanos)) {
                return slot;
            }
        }
    }
}
