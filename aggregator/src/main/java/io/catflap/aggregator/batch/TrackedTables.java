package io.catflap.aggregator.batch;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which tables have metrics and status rows of their own. A table name is a string from the network: a series for
 * each would let mistyped, unknown or hostile names grow {@code /metrics} and {@code /status} without bound. So a
 * table gets series of its own only once ClickHouse's answer to an insert showed that it exists (committed, or
 * refused for its rows), and only up to {@code max} tables; every other name is counted together under
 * {@link #OTHER}. A table that falls idle is {@linkplain #forget forgotten}, its series removed, and earns them back
 * with its next answered insert.
 *
 * <p>Thread-safe.
 */
public final class TrackedTables {
    /** The label under which every table without series of its own is counted. */
    public static final String OTHER = "_other";

    private final int max;
    private final MeterRegistry registry;
    private final Set<String> tracked = ConcurrentHashMap.newKeySet();

    public TrackedTables(int max, MeterRegistry registry) {
        if (max < 0) {
            throw new IllegalArgumentException("max must be >= 0: " + max);
        }
        this.max = max;
        this.registry = registry;
        Gauge.builder("catflap.tables.tracked", tracked, Set::size)
                .description("Tables with series of their own; the others are counted under table=\"" + OTHER + "\"")
                .register(registry);
    }

    /** The {@code table} tag for {@code table}'s meters: its name when tracked, else {@link #OTHER}. */
    public String label(String table) {
        return tracked.contains(table) ? table : OTHER;
    }

    /** ClickHouse showed that {@code table} exists: it gets series of its own if there is room. True if it has them. */
    boolean exists(String table) {
        if (tracked.contains(table)) {
            return true;
        }
        synchronized (this) {
            if (tracked.size() < max) {
                tracked.add(table);
            }
            return tracked.contains(table);
        }
    }

    /** Takes {@code table}'s series away (it fell idle) and removes them from the registry. */
    void forget(String table) {
        tracked.remove(table);
        removeUntrackedMeters();
    }

    /**
     * Removes every meter tagged with a table that is not tracked: those of forgotten tables, and any that a writer
     * registered under a label it looked up just before the table was forgotten.
     */
    void removeUntrackedMeters() {
        for (Meter m : registry.getMeters()) {
            String table = m.getId().getTag("table");
            if (table != null && !table.equals(OTHER) && !tracked.contains(table)) {
                registry.remove(m);
            }
        }
    }

    int size() {
        return tracked.size();
    }
}
