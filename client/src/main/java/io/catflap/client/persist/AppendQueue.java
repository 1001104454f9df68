package io.catflap.client.persist;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The appends of one table stream on their way to a writer thread. Appends that queue up while a group is being
 * written (and fsynced, with {@code --fsync always}) go together in the next group: one hand-off to a writer thread,
 * one write call and at most one fsync per group instead of per append. A group is written in arrival order, so a
 * table's records keep the order in which their futures were handed out.
 */
final class AppendQueue {
    /** Two buffers per record in one gathering write: within Linux's IOV_MAX (1,024). */
    static final int MAX_GROUP_RECORDS = 512;
    /** Keeps a group's write, and the wait of its first append, short. */
    static final long MAX_GROUP_BYTES = 1 << 20;

    private record Pending(byte[] rows, CompletableFuture<Void> stored) {
    }

    private final TableStream stream;
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    /** A writer thread drains the queue, or is about to. */
    private final AtomicBoolean draining = new AtomicBoolean();

    AppendQueue(TableStream stream) {
        this.stream = stream;
    }

    /** Queues a record; the future completes once it is stored as the fsync policy promises. */
    CompletableFuture<Void> submit(byte[] rows, Executor writers) {
        Pending p = new Pending(rows, new CompletableFuture<>());
        queue.add(p);
        if (draining.compareAndSet(false, true)) {
            try {
                writers.execute(this::drain);
            } catch (RejectedExecutionException e) {   // shutting down
                draining.set(false);
                failQueued(new IOException("persistent log is closed"));
            }
        }
        return p.stored();
    }

    private void drain() {
        while (true) {
            List<Pending> group = new ArrayList<>();
            List<byte[]> records = new ArrayList<>();
            long bytes = 0;
            Pending p;
            while (group.size() < MAX_GROUP_RECORDS && bytes < MAX_GROUP_BYTES && (p = queue.poll()) != null) {
                group.add(p);
                records.add(p.rows());
                bytes += p.rows().length;
            }
            if (!group.isEmpty()) {
                write(group, records);
            }
            if (queue.isEmpty()) {
                draining.set(false);
                // an append that came after the check but saw draining still set is ours to write
                if (queue.isEmpty() || !draining.compareAndSet(false, true)) {
                    return;
                }
            }
        }
    }

    private void write(List<Pending> group, List<byte[]> records) {
        try {
            stream.append(records);
        } catch (IOException | RuntimeException e) {
            for (Pending p : group) {
                p.stored().completeExceptionally(e);
            }
            return;
        }
        for (Pending p : group) {
            p.stored().complete(null);
        }
    }

    private void failQueued(IOException e) {
        Pending p;
        while ((p = queue.poll()) != null) {
            p.stored().completeExceptionally(e);
        }
    }
}
