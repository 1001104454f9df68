package io.catflap.aggregator.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The split budget's token buckets, on a clock the test moves. */
class SplitBudgetTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final long NEVER = Long.MAX_VALUE / 2;
    private final AtomicLong now = new AtomicLong(1_000 * SECOND);
    private final SplitBudget budget = new SplitBudget(4, now::get);

    @Test
    void aFullBucketGivesOneSecondsWorthAtOnceThenOneTokenPerInterval() {
        for (int i = 0; i < 4; i++) {
            assertEquals(0, budget.reserve("db.t", NEVER), "token " + i);
        }
        assertEquals(SECOND / 4, budget.reserve("db.t", NEVER));
        assertEquals(SECOND / 2, budget.reserve("db.t", NEVER), "reservations queue behind each other");
        now.addAndGet(SECOND / 4);
        assertEquals(SECOND / 2, budget.reserve("db.t", NEVER), "the first waiter's token came; the next is 3/4 s on");
    }

    @Test
    void tablesHaveBucketsOfTheirOwn() {
        for (int i = 0; i < 4; i++) {
            budget.reserve("db.bad", NEVER);
        }
        assertEquals(SECOND / 4, budget.reserve("db.bad", NEVER));
        assertEquals(0, budget.reserve("db.other", NEVER));
    }

    @Test
    void theBucketFillsAgainAtItsRateAndNoFurther() {
        for (int i = 0; i < 8; i++) {
            budget.reserve("db.t", NEVER);
        }
        now.addAndGet(10 * SECOND);
        for (int i = 0; i < 4; i++) {
            assertEquals(0, budget.reserve("db.t", NEVER), "token " + i);
        }
        assertEquals(SECOND / 4, budget.reserve("db.t", NEVER), "a long pause buys one second's worth, not more");
    }

    @Test
    void aTokenPastTheDeadlineIsNotTaken() {
        for (int i = 0; i < 4; i++) {
            budget.reserve("db.t", NEVER);
        }
        long deadline = now.get() + SECOND / 8;
        assertEquals(-1, budget.reserve("db.t", deadline), "the next token comes at 1/4 s, after the deadline");
        assertEquals(SECOND / 4, budget.reserve("db.t", NEVER), "the refused part took nothing");
    }

    @Test
    void overTimeTheInsertsStayUnderRateTimesSecondsPlusTheBurst() {
        long start = now.get();
        int taken = 0;
        for (int ms = 0; ms < 10_000; ms += 10) {
            now.set(start + TimeUnit.MILLISECONDS.toNanos(ms));
            for (int i = 0; i < 3; i++) {   // 300 parts a second asking
                if (budget.reserve("db.t", now.get()) == 0) {
                    taken++;
                }
            }
        }
        assertEquals(4 * 10 + 4 - 1, taken, "10 s at 4/s after a full bucket of 4 (the last token due at 10 s)");
    }

    @Test
    void aRateBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SplitBudget(0, now::get));
    }
}
