package io.catflap.aggregator.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The seal policy of one key on a clock that is just numbers: every time below is in milliseconds from zero. */
class SealPolicyTest {
    private static final long MS = 1_000_000;
    private static final long MIN_GAP = 25 * MS;
    private static final long FLUSH_INTERVAL = 200 * MS;

    /** Parts the test sets, against ClickHouse's default parts_to_delay_insert. */
    private int fullest;
    private int partsToDelayInsert = ActiveParts.DEFAULT_PARTS_TO_DELAY_INSERT;
    private final ActiveParts parts = new ActiveParts() {
        @Override
        public int fullestPartition(String table) {
            return table.equals("db.t") ? fullest : 0;
        }

        @Override
        public int partsToDelayInsert() {
            return partsToDelayInsert;
        }
    };

    private SealPolicy policy(long nowMillis) {
        return new SealPolicy("db.t", MIN_GAP, FLUSH_INTERVAL, parts, nowMillis * MS);
    }

    private static long millis(long nanos) {
        return nanos / MS;
    }

    @Test
    void aKeyWithNothingInFlightSealsAtOnce() {
        SealPolicy p = policy(1_000);
        assertTrue(p.sealAt(1_000 * MS, false) <= 1_000 * MS, "a new key: its first request leaves on arrival");
        p.sent(1_000 * MS);
        p.answered(2 * MS);
        assertTrue(p.sealAt(1_030 * MS, false) <= 1_030 * MS, "answered, and the last insert 30 ms ago");
    }

    @Test
    void anInsertInFlightHoldsTheNextBatchUntilItIsAnswered() {
        SealPolicy p = policy(0);
        p.sent(0);
        assertEquals(201, millis(p.sealAt(MS, true)), "in flight: only the flush interval ends the wait");
        p.answered(5 * MS);
        assertEquals(25, millis(p.sealAt(MS, false)), "answered at 5 ms: the 25 ms gap since the send remains");
        assertTrue(p.sealAt(40 * MS, false) <= 40 * MS, "a batch opened after the gap leaves at once");
    }

    @Test
    void theGapWidensWithTheInsertLatencyAndNarrowsAgain() {
        SealPolicy p = policy(0);
        p.answered(10 * MS);
        assertEquals(25, millis(p.gapNanos()), "twice the smoothed latency is below the floor");
        for (int i = 0; i < 20; i++) {
            p.answered(60 * MS);
        }
        assertEquals(119, millis(p.gapNanos()), "twice the 60 ms inserts take (smoothed: just under)");
        for (int i = 0; i < 20; i++) {
            p.answered(500 * MS);
        }
        assertEquals(200, millis(p.gapNanos()), "never wider than the flush interval");
        for (int i = 0; i < 40; i++) {
            p.answered(MS);
        }
        assertEquals(25, millis(p.gapNanos()), "fast again: back to the floor");
    }

    @Test
    void theGapWidensAsPartsApproachPartsToDelayInsert() {
        SealPolicy p = policy(0);
        fullest = 75;
        assertEquals(25, millis(p.gapNanos()), "half of parts_to_delay_insert: merges keep up");
        fullest = 113;
        assertEquals(101, millis(p.gapNanos()), "three quarters: half the flush interval");
        fullest = 150;
        assertEquals(200, millis(p.gapNanos()), "at parts_to_delay_insert: the flush interval");
        fullest = 400;
        assertEquals(200, millis(p.gapNanos()));
        partsToDelayInsert = 1000;
        assertEquals(25, millis(p.gapNanos()), "the server's own parts_to_delay_insert counts");
    }

    @Test
    void theFlushIntervalBoundsTheWait() {
        SealPolicy p = policy(0);
        p.sent(0);
        p.answered(10_000 * MS);
        assertEquals(200, millis(p.gapNanos()));
        assertEquals(200, millis(p.sealAt(150 * MS, false)), "opened after the answer: when the gap since the send"
                + " ends, not 10 s x 2 later");
        assertEquals(250, millis(p.sealAt(50 * MS, true)), "in flight: at the batch's age of 200 ms");
    }

    /**
     * Requests arrive every 100 µs for 10 s and each insert takes 1 ms: the key still makes at most one insert per
     * 25 ms, 40 per second, and about that many, since nothing else holds it back.
     */
    @Test
    void neverMoreThanFortyInsertsPerSecondUnderContinuousLoad() {
        long step = MS / 10;
        long latency = MS;
        long end = 10_000 * MS;
        SealPolicy p = policy(0);
        long opened = -1;
        long answerAt = -1;
        int inserts = 0;
        long lastSent = -FLUSH_INTERVAL;
        for (long now = 0; now < end; now += step) {
            if (answerAt == now) {
                p.answered(latency);
                answerAt = -1;
            }
            if (opened < 0) {
                opened = now;   // a request arrives: it opens a batch if none is open
            }
            if (p.sealAt(opened, answerAt >= 0) <= now) {
                assertTrue(now - lastSent >= MIN_GAP, "inserts " + millis(lastSent) + " and " + millis(now));
                p.sent(now);
                lastSent = now;
                answerAt = now + latency;
                opened = -1;
                inserts++;
            }
        }
        assertTrue(inserts <= 400 && inserts >= 390, "inserts in 10 s: " + inserts);
    }
}
