package io.catflap.aggregator.batch;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Entry of the batching step: routes every request to the open {@link TableBatch} of its key, or straight to the
 * writer as a batch of its own when its body cannot be merged (format, encoding) or is larger than a batch.
 */
public final class Batcher {
    private static final int MAX_RECENT_ERRORS = 20;

    private final int batchBytes;
    private final long flushIntervalNanos;
    private final int maxSealedPerTable;
    private final ByteBufAllocator alloc;
    private final EventExecutor timer;
    private final BatchMemory memory;
    private final BatchWriter writer;
    private final MeterRegistry registry;
    private final ConcurrentMap<BatchKey, TableBatch> tables = new ConcurrentHashMap<>();
    private final AtomicInteger congestedTables = new AtomicInteger();
    private final ArrayDeque<RecentError> recentErrors = new ArrayDeque<>();
    private volatile boolean closed;
    private volatile Runnable onRelief = () -> { };

    /**
     * @param maxSealedPerTable sealed batches of one key waiting upstream beyond which {@link #congested()} is true
     */
    public Batcher(int batchBytes, long flushIntervalMillis, int maxSealedPerTable, ByteBufAllocator alloc,
                   EventExecutor timer, BatchMemory memory, BatchWriter writer, MeterRegistry registry) {
        this.batchBytes = batchBytes;
        this.flushIntervalNanos = TimeUnit.MILLISECONDS.toNanos(flushIntervalMillis);
        this.maxSealedPerTable = maxSealedPerTable;
        this.alloc = alloc;
        this.timer = timer;
        this.memory = memory;
        this.writer = writer;
        this.registry = registry;
        Gauge.builder("catflap.batch.held_bytes", memory, BatchMemory::held)
                .description("Bytes held in open, sealed and in-flight batches").baseUnit("bytes").register(registry);
    }

    /**
     * Hands a request's rows to batching; {@code body} is not released (merged bodies are copied, a body inserted on
     * its own is retained). {@code ack} gets exactly one answer.
     */
    public void submit(BatchKey key, ByteBuf body, Ack ack) {
        if (closed) {
            ack.complete(new InsertResult(503, "catflap is shutting down"));
            return;
        }
        long rows = key.format().rowsUpperBound(body);
        TableBatch tb = table(key);
        if (body.readableBytes() == 0) {
            ack.complete(InsertResult.OK);
        } else if (!key.mergeable() || body.readableBytes() > batchBytes || rows > TableBatch.MAX_ROWS) {
            tb.count(body.readableBytes(), rows);
            writeTracked(Batch.single(key, body.retain(), rows, ack, memory), tb);
        } else {
            tb.append(body, rows, ack);
        }
    }

    /** Counts a request whose body was streamed upstream on its own, past batching. */
    public void streamed(BatchKey key, int bytes, long rows) {
        table(key).count(bytes, rows);
    }

    private TableBatch table(BatchKey key) {
        return tables.computeIfAbsent(key, k ->
                new TableBatch(k, batchBytes, flushIntervalNanos, alloc, timer, memory, this::writeTracked, registry));
    }

    private void writeTracked(Batch batch, TableBatch owner) {
        if (owner.sealedAdded() == maxSealedPerTable + 1) {
            congestedTables.incrementAndGet();
        }
        writer.write(batch, error -> done(owner, error));
    }

    private void done(TableBatch owner, TableBatch.InsertError errorOrNull) {
        if (errorOrNull != null) {
            synchronized (recentErrors) {
                recentErrors.addFirst(new RecentError(owner.key().tableName(), errorOrNull));
                if (recentErrors.size() > MAX_RECENT_ERRORS) {
                    recentErrors.removeLast();
                }
            }
        }
        if (owner.sealedDone(errorOrNull) == maxSealedPerTable) {
            congestedTables.decrementAndGet();
            onRelief.run();
        }
    }

    /** Called when a congested table drained below its limit, e.g. to wake readers. */
    public void onRelief(Runnable r) {
        this.onRelief = r;
    }

    /** True while some table has more sealed batches waiting than allowed: stop reading new requests. */
    public boolean congested() {
        return congestedTables.get() > 0;
    }

    /** Seals every open batch and refuses further requests with 503. */
    public void close() {
        closed = true;
        tables.values().forEach(TableBatch::flush);
    }

    /** The latest insert errors, newest first. */
    public List<RecentError> recentErrors() {
        synchronized (recentErrors) {
            return List.copyOf(recentErrors);
        }
    }

    /** An insert error and the table it happened on. */
    public record RecentError(String table, TableBatch.InsertError error) { }

    public Collection<TableBatch> tables() {
        return tables.values();
    }
}
