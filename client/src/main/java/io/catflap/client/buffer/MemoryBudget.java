package io.catflap.client.buffer;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of all memory buffers together, against one cap ({@code --max-memory-bytes}): per-table caps alone let an
 * outage over many busy tables fill the heap. A write is reserved by {@link TableBuffer#offer} and released by
 * {@link TableBuffer#done}, both under the table's lock, so each buffered byte is counted exactly once however many
 * writers and senders run.
 */
final class MemoryBudget {
    private final AtomicLong used = new AtomicLong();
    private final long cap;

    MemoryBudget(long cap) {
        this.cap = cap;
    }

    /** Reserves {@code bytes} unless the total would then exceed the cap. */
    boolean tryReserve(long bytes) {
        long now;
        do {
            now = used.get();
            if (now + bytes > cap) {
                return false;
            }
        } while (!used.compareAndSet(now, now + bytes));
        return true;
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    long used() {
        return used.get();
    }
}
