package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RateLimiterTest {
    @Test
    void slotsAreSpacedEvenlyAtTheRate() {
        RateLimiter limiter = new RateLimiter(1000);
        long now = 5_000_000_000L;
        assertEquals(now, limiter.reserve(now));
        assertEquals(now + 1_000_000, limiter.reserve(now));
        assertEquals(now + 2_000_000, limiter.reserve(now));
    }

    @Test
    void unusedSlotsDoNotBuildUpABurst() {
        RateLimiter limiter = new RateLimiter(1000);
        limiter.reserve(0);
        long later = 10_000_000_000L;
        assertEquals(later, limiter.reserve(later));
        assertEquals(later + 1_000_000, limiter.reserve(later));
    }

    @Test
    void weightedReservationsTakeTheirShare() {
        RateLimiter bytes = new RateLimiter(1 << 20);
        assertEquals(0, bytes.reserve(0, 1 << 20));
        assertEquals((1L << 20) * Math.round(1e9 / (1 << 20)), bytes.reserve(0, 1));
    }

    @Test
    void unlimitedNeverWaits() {
        RateLimiter limiter = new RateLimiter(0);
        assertEquals(42, limiter.reserve(42));
        assertEquals(42, limiter.reserve(42, 1 << 30));
    }
}
