package io.catflap.aggregator.admin;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-table ingest rates derived from the cumulative {@code rowsIn} / {@code bytesIn} counters of successive
 * status snapshots: the rate reported is the average over the last {@link #WINDOW_NANOS}, so a page polled every
 * second shows a steady number instead of per-second noise. Thread-safe.
 */
final class IngestRates {

    static final long WINDOW_NANOS = 10_000_000_000L;

    private record Sample(long nanos, Map<String, long[]> counters) {
    }

    private final ArrayDeque<Sample> samples = new ArrayDeque<>();

    /** Remembers the counters of {@code snapshot} taken at {@code nanos}; drops samples older than the window. */
    synchronized void sample(Map<String, Object> snapshot, long nanos) {
        samples.addLast(new Sample(nanos, counters(snapshot)));
        while (samples.size() > 1 && nanos - samples.peekFirst().nanos() > WINDOW_NANOS) {
            samples.removeFirst();
        }
    }

    /**
     * A copy of {@code snapshot} whose tables carry {@code rowsPerSecond} and {@code bytesPerSecond} (0 until a
     * sample at least half a second older than {@code nanos} exists).
     */
    synchronized Map<String, Object> decorate(Map<String, Object> snapshot, long nanos) {
        Map<String, Object> out = new LinkedHashMap<>(snapshot);
        if (!(snapshot.get("tables") instanceof List<?> tables)) {
            return out;
        }
        Sample base = samples.peekFirst();
        double seconds = base == null ? 0 : (nanos - base.nanos()) / 1e9;
        List<Object> decorated = new ArrayList<>(tables.size());
        for (Object t : tables) {
            if (!(t instanceof Map<?, ?> table)) {
                decorated.add(t);
                continue;
            }
            Map<String, Object> copy = new LinkedHashMap<>();
            table.forEach((k, v) -> copy.put(String.valueOf(k), v));
            // A table missing from the base sample appeared since: its counters started from zero.
            long[] before = base == null ? new long[2]
                    : base.counters().getOrDefault(String.valueOf(table.get("table")), new long[2]);
            copy.put("rowsPerSecond", rate(table.get("rowsIn"), before[0], seconds));
            copy.put("bytesPerSecond", rate(table.get("bytesIn"), before[1], seconds));
            decorated.add(copy);
        }
        out.put("tables", decorated);
        return out;
    }

    private static double rate(Object now, long before, double seconds) {
        if (!(now instanceof Number n) || seconds < 0.5) {
            return 0;
        }
        return Math.max(0, n.longValue() - before) / seconds;
    }

    private static Map<String, long[]> counters(Map<String, Object> snapshot) {
        Map<String, long[]> counters = new HashMap<>();
        if (snapshot.get("tables") instanceof List<?> tables) {
            for (Object t : tables) {
                if (t instanceof Map<?, ?> table) {
                    counters.put(String.valueOf(table.get("table")),
                            new long[] {number(table.get("rowsIn")), number(table.get("bytesIn"))});
                }
            }
        }
        return counters;
    }

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }
}
