package io.catflap.client.buffer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The rows of one (table, format) waiting in memory. Bytes of a batch being sent still count against the caps (the
 * table's and the {@link MemoryBudget}) until the batch is committed, so a destination that is down makes the buffer
 * refuse writes instead of growing. Buffers live as long as the daemon, so a writer may keep one
 * ({@link MemoryBuffers#buffer}).
 */
public final class TableBuffer {
    final String table;
    final boolean rowBinary;
    private final MemoryBudget budget;
    private final ArrayDeque<byte[]> writes = new ArrayDeque<>();
    private long bytes;          // waiting + in flight
    private long waitingBytes;
    private int errorsInARow;
    private int maxWrites = Integer.MAX_VALUE;   // lowered while isolating a rejected write

    TableBuffer(String table, boolean rowBinary, MemoryBudget budget) {
        this.table = table;
        this.rowBinary = rowBinary;
        this.budget = budget;
    }

    /**
     * Adds a write unless the buffer would then hold {@code cap} bytes or more (kittenhouse's rule) or the budget is
     * spent.
     */
    synchronized MemoryBuffers.Offer offer(byte[] data, long cap) {
        if (bytes + data.length + 1 >= cap) {
            return MemoryBuffers.Offer.TABLE_FULL;
        }
        if (!budget.tryReserve(data.length)) {
            return MemoryBuffers.Offer.MEMORY_FULL;
        }
        writes.add(data);
        bytes += data.length;
        waitingBytes += data.length;
        return MemoryBuffers.Offer.BUFFERED;
    }

    /** Takes whole writes up to {@code maxBytes} (at least one); empty when nothing waits. */
    synchronized List<byte[]> take(int maxBytes) {
        List<byte[]> batch = new ArrayList<>();
        long size = 0;
        while (!writes.isEmpty() && batch.size() < maxWrites
                && (batch.isEmpty() || size + writes.peek().length <= maxBytes)) {
            byte[] w = writes.poll();
            size += w.length;
            batch.add(w);
        }
        waitingBytes -= size;
        return batch;
    }

    /** The batch is committed (or dropped for good). */
    synchronized void done(List<byte[]> batch) {
        long size = size(batch);
        bytes -= size;
        budget.release(size);
        errorsInARow = 0;
        maxWrites = maxWrites > Integer.MAX_VALUE / 2 ? Integer.MAX_VALUE : maxWrites * 2;
    }

    /**
     * The destination rejected the batch's rows. A batch of several writes goes back and the next batches take half as
     * many writes, until the bad write is alone (then dropped by the caller): one app's bad row does not cost the
     * other writes of the batch. Returns false when the batch is a single write.
     */
    synchronized boolean split(List<byte[]> batch) {
        if (batch.size() == 1) {
            return false;
        }
        putBack(batch);
        maxWrites = (batch.size() + 1) / 2;
        return true;
    }

    /** The batch failed but may succeed later: it goes back to the front, in order. Returns errors in a row. */
    synchronized int retry(List<byte[]> batch) {
        putBack(batch);
        return ++errorsInARow;
    }

    /** Puts a batch back at the front, in order. */
    private void putBack(List<byte[]> batch) {
        for (int i = batch.size() - 1; i >= 0; i--) {
            writes.addFirst(batch.get(i));
        }
        waitingBytes += size(batch);
    }

    /**
     * Whether the next {@link #take} would be a full batch: {@code maxBytes} or more wait, or at least as many writes as
     * a batch may take while a rejected write is being isolated. A batch that is not full waits for the next period.
     */
    synchronized boolean hasFullBatch(int maxBytes) {
        return waitingBytes >= maxBytes || (maxWrites < Integer.MAX_VALUE && writes.size() >= maxWrites);
    }

    synchronized long bytes() {
        return bytes;
    }

    private static long size(List<byte[]> batch) {
        return batch.stream().mapToLong(b -> b.length).sum();
    }
}
