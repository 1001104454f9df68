package io.catflap.client.buffer;

import io.catflap.client.ClientMetrics;
import io.catflap.client.kitten.InsertException;
import io.catflap.client.kitten.KittenDestination;
import io.micrometer.core.instrument.Gauge;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * kittenhouse's in-memory mode: per (table, format) buffers of at most {@code capBytes} (16 MiB), each flushed every
 * 1–3 s (random, so a fleet of hosts does not insert in step) in batches of at most {@code maxSendSize}.
 *
 * <p>Unlike kittenhouse, which drops a batch whose insert failed, a batch that failed for a transient reason (server
 * down, overloaded, timeout) goes back to the front of its buffer and is retried with exponential backoff (the flush
 * delay doubles per failure in a row, up to 32x). Since its bytes still count against the caps, what an outage costs
 * is exactly what the caps refuse: writes past the table's cap, or past {@code maxMemoryBytes} for all buffers
 * together (many busy tables would otherwise fill the heap), are answered with an error and counted
 * ({@code catflap_client_refused_*}, tagged with the cap). A batch the destination rejects as bad data is split until
 * the bad write is alone; that write is dropped and counted ({@code catflap_client_rejected_bytes}) — retrying it would
 * block the table forever — and the others are delivered (kittenhouse drops the whole batch).
 */
public final class MemoryBuffers {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryBuffers.class);
    private static final int MAX_BACKOFF_POWER = 5;

    private final InsertSink sink;
    private final ScheduledExecutorService timer;
    private final long capBytes;
    private final MemoryBudget budget;
    private final int maxSendSize;
    private final ClientMetrics metrics;
    private final Map<String, TableBuffer> buffers = new ConcurrentHashMap<>();
    private final LongSupplier period;

    /** What became of a write: buffered, or refused by the table's cap or by the cap on all buffers together. */
    public enum Offer { BUFFERED, TABLE_FULL, MEMORY_FULL }

    public MemoryBuffers(InsertSink sink, ScheduledExecutorService timer, long capBytes, long maxMemoryBytes,
                         int maxSendSize, ClientMetrics metrics) {
        this(sink, timer, capBytes, maxMemoryBytes, maxSendSize, metrics, MemoryBuffers::kittenhousePeriod);
    }

    /** @param period the pause between a table's flushes, in milliseconds, asked anew each time */
    MemoryBuffers(InsertSink sink, ScheduledExecutorService timer, long capBytes, long maxMemoryBytes,
                  int maxSendSize, ClientMetrics metrics, LongSupplier period) {
        this.period = period;
        this.sink = sink;
        this.timer = timer;
        this.capBytes = capBytes;
        this.budget = new MemoryBudget(maxMemoryBytes);
        this.maxSendSize = maxSendSize;
        this.metrics = metrics;
        Gauge.builder("catflap.client.buffered.bytes", this, MemoryBuffers::totalBytes)
                .description("Bytes held in memory buffers, waiting or being sent").register(metrics.registry());
    }

    /** The buffer of {@code table} in that format, created (and its flushes scheduled) on first use. */
    public TableBuffer buffer(String table, boolean rowBinary) {
        return buffers.computeIfAbsent((rowBinary ? "rb:" : "v:") + table, k -> {
            TableBuffer b = new TableBuffer(table, rowBinary, budget);
            schedule(b, period.getAsLong());
            return b;
        });
    }

    /** Buffers a write unless a cap refuses it (then the write is counted as refused, tagged with the cap). */
    public Offer write(TableBuffer buffer, byte[] data) {
        Offer offer = buffer.offer(data, capBytes);
        if (offer != Offer.BUFFERED) {
            metrics.refused(buffer.table, offer == Offer.TABLE_FULL ? "table" : "memory", data.length);
        }
        return offer;
    }

    /** Bytes held per table (waiting or being sent). */
    public Map<String, Long> bufferedBytes() {
        Map<String, Long> out = new TreeMap<>();
        buffers.values().forEach(b -> out.merge(b.table, b.bytes(), Long::sum));
        return out;
    }

    /** Bytes held by all buffers together (waiting or being sent), as counted against {@code maxMemoryBytes}. */
    public long totalBytes() {
        return budget.used();
    }

    /**
     * At shutdown: waits up to {@code timeout} for the periodic flushes to empty the buffers (at most 3 s when the
     * destinations are up); returns the bytes left behind.
     */
    public long drain(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (totalBytes() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return totalBytes();
    }

    private void flush(TableBuffer buffer) {
        List<byte[]> batch = buffer.take(maxSendSize);
        if (batch.isEmpty()) {
            schedule(buffer, period.getAsLong());
            return;
        }
        byte[] body = Batches.join(batch, buffer.rowBinary);
        sink.send(buffer.table, buffer.rowBinary, body).whenComplete((v, err) -> {
            if (err == null) {
                buffer.done(batch);
                metrics.flushed(buffer.table, body.length);
                scheduleNext(buffer);
                return;
            }
            Throwable cause = KittenDestination.unwrap(err);
            if (cause instanceof InsertException e && e.rowsRejected()) {
                if (buffer.split(batch)) {
                    schedule(buffer, 0);
                    return;
                }
                LOG.warn("dropping {} bytes for {}: rejected by the destination: {}", body.length, buffer.table,
                        e.getMessage());
                buffer.done(batch);
                metrics.rejected(buffer.table, body.length);
                scheduleNext(buffer);
                return;
            }
            int errors = buffer.retry(batch);
            long delay = period.getAsLong() << Math.min(errors - 1, MAX_BACKOFF_POWER);
            LOG.warn("could not flush {} bytes for {} ({} failures in a row, next try in {} ms): {}", body.length,
                    buffer.table, errors, delay, cause.toString());
            schedule(buffer, delay);
        });
    }

    /**
     * After a batch is done: at once while full batches wait (a backlog after an outage drains back to back), else
     * after the period. Sending whatever arrived meanwhile at once would turn a steady stream of rows into one insert
     * per round trip to the destination instead of one per period.
     */
    private void scheduleNext(TableBuffer buffer) {
        schedule(buffer, buffer.hasFullBatch(maxSendSize) ? 0 : period.getAsLong());
    }

    private void schedule(TableBuffer buffer, long delayMillis) {
        if (!timer.isShutdown()) {
            timer.schedule(() -> flush(buffer), delayMillis, TimeUnit.MILLISECONDS);
        }
    }

    /** kittenhouse's flush period: 1 s plus up to 2 s. */
    private static long kittenhousePeriod() {
        return 1000 + ThreadLocalRandom.current().nextLong(2000);
    }
}
