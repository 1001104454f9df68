package io.catflap.aggregator.upstream;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * WARN lines for retried and split inserts, at most one per table every {@link #INTERVAL_NANOS}: a table in trouble
 * retries or splits many times a second, and a line for each would bury every other line of the log. The line that
 * is written says how many were left out since the table's previous one. Thread-safe.
 */
final class InsertWarnings {
    /** Often enough to see a trouble start and end, rare enough that a table in trouble costs a few lines a minute. */
    static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Tables with state beyond which those quiet for an interval are dropped. */
    private static final int SWEEP_ABOVE = 1000;

    private final Logger log;
    private final LongSupplier clock;
    private final ConcurrentMap<String, Table> tables = new ConcurrentHashMap<>();

    InsertWarnings(Logger log, LongSupplier clock) {
        this.log = log;
        this.clock = clock;
    }

    /** An insert into {@code table} got {@code r} and is {@code retried} (else split): logs it, or counts it. */
    void warn(String table, boolean retried, UpstreamReply r) {
        String line = line(table, retried, r);
        if (line != null) {
            log.warn(line);
        }
    }

    /** The line to write for this event, or null when the table had one less than an interval ago. */
    String line(String table, boolean retried, UpstreamReply r) {
        long now = clock.getAsLong();
        if (tables.size() > SWEEP_ABOVE) {
            tables.values().removeIf(t -> t.quietSince(now));
        }
        long skipped = tables.computeIfAbsent(table, t -> new Table(now)).pass(now);
        if (skipped < 0) {
            return null;
        }
        String error = r.code() >= 0 ? "ClickHouse error " + r.code() : r.status() == 0 ? "no answer" : "HTTP "
                + r.status();
        return "insert into " + table + (retried ? " retried after " : " split after ") + error + ": " + r.message()
                + (skipped == 0 ? "" : " (" + skipped + " more retries and splits of this table since the previous "
                + "line not logged)");
    }

    private static final class Table {
        private long lastLogged;
        private long skipped;

        Table(long now) {
            lastLogged = now - INTERVAL_NANOS;
        }

        /** The events skipped since the last line when one is due now, else -1 (this one is skipped). */
        synchronized long pass(long now) {
            if (now - lastLogged < INTERVAL_NANOS) {
                skipped++;
                return -1;
            }
            long n = skipped;
            skipped = 0;
            lastLogged = now;
            return n;
        }

        synchronized boolean quietSince(long now) {
            return now - lastLogged >= INTERVAL_NANOS && skipped == 0;
        }
    }
}
