package io.catflap.aggregator.admin;

import java.util.Map;

/**
 * What the admin port reports about a running aggregator: the {@code /status} JSON, the status page and
 * {@code /health}.
 *
 * <p>{@link #snapshot()} returns a tree of {@code Map<String, ?>}, {@code List<?>}, {@code String}, {@code Number},
 * {@code Boolean} and {@code null} (see {@link Json}). Every key is optional; the status page shows these when
 * present:
 * <pre>
 * startedAt            ISO-8601 instant the aggregator started
 * connections          {open, reading, waiting, idle, maxReaders}
 *                      reading = holds a read permit, waiting = wants one, idle = neither
 * bytesHeld            bytes of rows held in open and sealed batches; bytesHeldLimit its bound
 * upstream             {inserts: {max, inFlight, queued}, selects: {max, inFlight, queued}}
 * tables               list of {table, rowsIn, bytesIn, requestsIn  (cumulative counters),
 *                               openBatchBytes, openBatchRows, openBatchAgeMillis, sealedBatches,
 *                               flushGapMillis (the widest flush gap of its keys, see SealPolicy),
 *                               insertsDone, lastError: {at, code, message} or null}
 * recentErrors         list of {at, table, code, message}, newest first
 * </pre>
 * The admin server adds {@code rowsPerSecond} and {@code bytesPerSecond} to each table, computed from
 * {@code rowsIn} and {@code bytesIn}, and a top-level {@code time}. Implementations are called from an event loop
 * and must not block.
 */
public interface StatusSource {

    /** A consistent-enough picture of the aggregator right now; a fresh tree the caller may keep. */
    Map<String, Object> snapshot();

    /** False while the aggregator cannot do its job (shutting down, upstream unreachable for long). */
    boolean healthy();
}
