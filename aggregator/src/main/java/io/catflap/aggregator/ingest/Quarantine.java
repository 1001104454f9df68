package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.Ack;
import io.catflap.aggregator.batch.BatchKey;
import io.catflap.aggregator.upstream.ErrorPolicy;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Senders whose rows ClickHouse refused as bad data ({@link ErrorPolicy#refusedRows}), for {@code --quarantine}
 * after their latest such answer: their requests go to the {@linkplain BatchKey#quarantined quarantined} key of
 * their batch key, a batch apart from everyone else's. A batch with a bad row is split until only the requests that
 * hold it get the error; without the quarantine, a sender that keeps sending bad rows would have its table's batches
 * split again and again, every good sender's rows with them. Quarantined rows are still inserted (their batch is
 * split among quarantined senders only), and each bad request still gets ClickHouse's own error.
 *
 * <p>A sender is what {@link Protocol#sender} says. Per request this costs one lookup in a map that holds only
 * quarantined senders. Thread-safe.
 */
public final class Quarantine {
    /** Quarantined senders beyond which those whose time is up are dropped at once rather than on their return. */
    private static final int SWEEP_ABOVE = 10_000;

    private final long durationNanos;
    private final LongSupplier clock;
    /** Until when each sender is quarantined (clock time). */
    private final ConcurrentMap<Object, Long> until = new ConcurrentHashMap<>();

    /**
     * @param durationMillis how long after its latest refused row a sender stays quarantined; 0: never
     * @param clock          System.nanoTime, or a test's clock
     */
    public Quarantine(long durationMillis, LongSupplier clock, MeterRegistry registry) {
        this.durationNanos = TimeUnit.MILLISECONDS.toNanos(durationMillis);
        this.clock = clock;
        Gauge.builder("catflap.senders.quarantined", this, Quarantine::size)
                .description("Senders batched apart from the others because ClickHouse refused their rows lately")
                .register(registry);
    }

    /** The key {@code sender}'s rows for {@code key} go to now. */
    BatchKey key(Object sender, BatchKey key) {
        Long end = until.get(sender);
        if (end == null) {
            return key;
        }
        if (end - clock.getAsLong() > 0) {
            return key.quarantined();
        }
        until.remove(sender, end);
        return key;
    }

    /** {@code ack}, which quarantines {@code sender} when its answer says ClickHouse refused the request's rows. */
    Ack watch(Object sender, Ack ack) {
        if (durationNanos == 0) {
            return ack;
        }
        return result -> {
            if (ErrorPolicy.refusedRows(result)) {
                quarantine(sender);
            }
            ack.complete(result);
        };
    }

    private void quarantine(Object sender) {
        long now = clock.getAsLong();
        if (until.size() > SWEEP_ABOVE) {
            until.values().removeIf(end -> end - now <= 0);
        }
        until.put(sender, now + durationNanos);
    }

    /** Senders quarantined now. */
    int size() {
        long now = clock.getAsLong();
        return (int) until.values().stream().filter(end -> end - now > 0).count();
    }
}
