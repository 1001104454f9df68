package io.catflap.aggregator.batch;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes held by batches (open, sealed and in flight upstream) against the bound above which the read gate stops
 * admitting new requests. Capacity of the buffers is counted, not just the bytes written, so the figure is what the
 * heap really holds.
 */
public final class BatchMemory {
    private final AtomicLong held = new AtomicLong();
    private final long limit;
    private volatile Runnable onRelease = () -> { };

    public BatchMemory(long limit) {
        this.limit = limit;
    }

    /** Called after bytes were given back, e.g. to wake readers that waited for memory. */
    public void onRelease(Runnable r) {
        this.onRelease = r;
    }

    void reserve(long bytes) {
        held.addAndGet(bytes);
    }

    void release(long bytes) {
        held.addAndGet(-bytes);
        onRelease.run();
    }

    public long held() {
        return held.get();
    }

    public long limit() {
        return limit;
    }

    /** True while no new request should be read. */
    public boolean exhausted() {
        return held.get() >= limit;
    }
}
