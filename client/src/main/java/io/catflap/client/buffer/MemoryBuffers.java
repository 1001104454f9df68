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

/**
 * kittenhouse's in-memory mode: per (table, format) buffers of at most {@code capBytes} (16 MiB), each flushed every
 * 1–3 s (random, so a fleet of hosts does not insert in step) in batches of at most {@code maxSendSize}.
 *
 * <p>Unlike kittenhouse, which drops a batch whose insert failed, a batch that failed for a transient reason (server
 * down, overloaded, timeout) goes back to the front of its buffer and is retried with exponential backoff (the flush
 * delay doubles per failure in a row, up to 32x). Since its bytes still count against the cap, what an outage costs
 * is exactly what the cap refuses: writes past it are answered with an error and counted
 * ({@code catflap_client_refused_*}). A batch the destination rejects as bad data is split until the bad write is
 * alone; that write is dropped and counted ({@code catflap_client_rejected_bytes}) — retrying it would block the table
 * forever — and the others are delivered (kittenhouse drops the whole batch).
 */
public final class MemoryBuffers {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryBuffers.class);
    private static final int MAX_BACKOFF_POWER = 5;

    private final InsertSink sink;
    private final ScheduledExecutorService timer;
    private final long capBytes;
    private final int maxSendSize;
    private final ClientMetrics metrics;
    private final Map<String, TableBuffer> buffers = new ConcurrentHashMap<>();

    public MemoryBuffers(InsertSink sink, ScheduledExecutorService timer, long capBytes, int maxSendSize,
                         ClientMetrics metrics) {
        this.sink = sink;
        this.timer = timer;
        this.capBytes = capBytes;
        this.maxSendSize = maxSendSize;
        this.metrics = metrics;
        Gauge.builder("catflap.client.buffered.bytes", this, MemoryBuffers::totalBytes)
                .description("Bytes held in memory buffers, waiting or being sent").register(metrics.registry());
    }

    /** Buffers a write; false when the table's buffer is full (the write is refused and counted). */
    public boolean write(String table, boolean rowBinary, byte[] data) {
        TableBuffer buffer = buffers.computeIfAbsent((rowBinary ? "rb:" : "v:") + table, k -> {
            TableBuffer b = new TableBuffer(table, rowBinary);
            schedule(b, jitter());
            return b;
        });
        if (buffer.offer(data, capBytes)) {
            return true;
        }
        metrics.refused(table, data.length);
        return false;
    }

    /** Bytes held per table (waiting or being sent). */
    public Map<String, Long> bufferedBytes() {
        Map<String, Long> out = new TreeMap<>();
        buffers.values().forEach(b -> out.merge(b.table, b.bytes(), Long::sum));
        return out;
    }

    public long totalBytes() {
        return buffers.values().stream().mapToLong(TableBuffer::bytes).sum();
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
            schedule(buffer, jitter());
            return;
        }
        byte[] body = Batches.join(batch, buffer.rowBinary);
        sink.send(buffer.table, buffer.rowBinary, body).whenComplete((v, err) -> {
            if (err == null) {
                buffer.done(batch);
                metrics.flushed(buffer.table, body.length);
                schedule(buffer, buffer.hasWaiting() ? 0 : jitter());
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
                schedule(buffer, buffer.hasWaiting() ? 0 : jitter());
                return;
            }
            int errors = buffer.retry(batch);
            long delay = jitter() << Math.min(errors - 1, MAX_BACKOFF_POWER);
            LOG.warn("could not flush {} bytes for {} ({} failures in a row, next try in {} ms): {}", body.length,
                    buffer.table, errors, delay, cause.toString());
            schedule(buffer, delay);
        });
    }

    private void schedule(TableBuffer buffer, long delayMillis) {
        if (!timer.isShutdown()) {
            timer.schedule(() -> flush(buffer), delayMillis, TimeUnit.MILLISECONDS);
        }
    }

    /** kittenhouse's flush period: 1 s plus up to 2 s. */
    private static long jitter() {
        return 1000 + ThreadLocalRandom.current().nextLong(2000);
    }
}
