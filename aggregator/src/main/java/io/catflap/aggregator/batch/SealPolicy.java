package io.catflap.aggregator.batch;

/**
 * When the open batch of one {@link BatchKey} leaves for ClickHouse.
 *
 * <p>A fixed flush timer is, in a closed loop (each sender waits for its ack before it sends again), every sender's
 * latency, however idle ClickHouse is. So a batch leaves as soon as ClickHouse is ready for the next insert of its
 * key, and the pace adapts to how ClickHouse copes:
 * <pre>
 * A key's open batch is sealed
 *   (1) as soon as no insert of the key is in flight upstream (sealed and not yet answered)
 *       AND the key's gap has passed since its last insert was sent;
 *   (2) when it is full (TableBatch: --batch-bytes, ClickHouse's atomic block);
 *   (3) at --flush-interval age at the latest, whatever (1) says.
 *
 * gap = min(--flush-interval, max(--min-flush-gap,
 *                                 LATENCY_GAPS x the key's smoothed insert latency,
 *                                 parts pressure of the table x --flush-interval))
 *
 * smoothed insert latency  EWMA of the time from seal to answer of the key's inserts, each weighing
 *                          1 / 2^LATENCY_SHIFT. Waiting for an upstream slot and retries count: all of it
 *                          says ClickHouse is busy.
 * parts pressure           0 while the table's fullest partition holds at most PARTS_CALM x parts_to_delay_insert
 *                          active parts, rising linearly to 1 at parts_to_delay_insert, where ClickHouse starts
 *                          delaying every insert into that partition (ActiveParts).
 * </pre>
 * What that gives:
 * <ul>
 * <li>Light load: a request that finds nothing of its key in flight and the last insert a gap ago is sealed on
 *     arrival, and acked one insert round trip later.</li>
 * <li>Continuous load: consecutive inserts of a key are at least a gap apart, so a key never makes more than
 *     1 / --min-flush-gap inserts per second (40 with 25 ms: kittenhouse's rate per table), and far fewer while an
 *     insert takes longer than the gap. Rows that arrive meanwhile wait in the open batch, which grows instead.</li>
 * <li>ClickHouse slowing down (inserts take longer, parts pile up towards parts_to_delay_insert): the gap widens,
 *     up to the flush interval, and inserts become fewer and larger before ClickHouse has to delay or refuse
 *     them.</li>
 * <li>The flush interval bounds how long a row waits for its batch to leave, as the fixed timer did; only when an
 *     insert takes longer than that does a key have more than one in flight.</li>
 * </ul>
 *
 * <p>One instance per key. Not thread-safe: its {@link TableBatch} calls it under its lock, with times from one
 * nanosecond clock.
 */
public final class SealPolicy {
    /** The gap is at least twice the insert latency: a key keeps ClickHouse busy at most half of the time. */
    static final int LATENCY_GAPS = 2;
    /** Each answered insert weighs 1/4 in the smoothed latency: a lasting change shows within a few inserts. */
    static final int LATENCY_SHIFT = 2;
    /** Up to half of parts_to_delay_insert the parts are merged away in time and do not widen the gap. */
    static final double PARTS_CALM = 0.5;

    private final String table;
    private final long minGapNanos;
    private final long maxAgeNanos;
    private final ActiveParts parts;
    private long lastSentNanos;
    private long latencyNanos;

    /**
     * @param table       the key's table, as {@link BatchKey#tableName()}
     * @param minGapNanos --min-flush-gap
     * @param maxAgeNanos --flush-interval: the longest a batch stays open, and the widest gap
     * @param nowNanos    now: the key starts as if its last insert was sent a flush interval ago
     */
    SealPolicy(String table, long minGapNanos, long maxAgeNanos, ActiveParts parts, long nowNanos) {
        this.table = table;
        this.minGapNanos = minGapNanos;
        this.maxAgeNanos = maxAgeNanos;
        this.parts = parts;
        this.lastSentNanos = nowNanos - maxAgeNanos;
    }

    /**
     * When the batch opened at {@code openedNanos} is to be sealed, given whether an insert of the key is in flight;
     * a time not after now means at once. With an insert in flight it is the age bound: call again once it is
     * answered.
     */
    long sealAt(long openedNanos, boolean inFlight) {
        long latest = openedNanos + maxAgeNanos;
        long gapEnd = lastSentNanos + gapNanos();
        return inFlight || latest - gapEnd < 0 ? latest : gapEnd;
    }

    /** An insert of the key (a sealed batch, or a request inserted on its own) was sent at {@code nowNanos}. */
    void sent(long nowNanos) {
        lastSentNanos = nowNanos;
    }

    /** An insert of the key was answered {@code latencyNanos} after it was sent. */
    void answered(long latencyNanos) {
        this.latencyNanos += (latencyNanos - this.latencyNanos) >> LATENCY_SHIFT;
    }

    /** The key's gap now: the least time between the sending of two of its inserts. */
    long gapNanos() {
        long byLatency = LATENCY_GAPS * latencyNanos;
        long byParts = (long) (maxAgeNanos * partsPressure());
        return Math.min(maxAgeNanos, Math.max(minGapNanos, Math.max(byLatency, byParts)));
    }

    /** 0 while the table's parts are calm, rising to 1 at parts_to_delay_insert. */
    private double partsPressure() {
        double full = parts.fullestPartition(table) / (double) parts.partsToDelayInsert();
        return Math.min(1, Math.max(0, (full - PARTS_CALM) / (1 - PARTS_CALM)));
    }
}
