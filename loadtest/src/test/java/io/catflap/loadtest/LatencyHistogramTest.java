package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
    @Test
    void emptyHistogramReportsZero() {
        LatencyHistogram h = new LatencyHistogram();
        assertEquals(0, h.count());
        assertEquals(0, h.percentile(0.99));
        assertEquals(0, h.max());
    }

    @Test
    void smallValuesAreExact() {
        LatencyHistogram h = new LatencyHistogram();
        for (int v = 1; v <= 20; v++) {
            h.record(v);
        }
        assertEquals(10, h.percentile(0.5));
        assertEquals(18, h.percentile(0.9));
        assertEquals(20, h.percentile(1.0));
        assertEquals(20, h.max());
    }

    @Test
    void percentilesAreWithinOneSubBucketOfTheExactSample() {
        Random random = new Random(42);
        LatencyHistogram h = new LatencyHistogram();
        long[] samples = new long[100_000];
        for (int i = 0; i < samples.length; i++) {
            // Log-normal around a millisecond with a long tail, as request latencies look.
            samples[i] = (long) Math.exp(7 + 1.5 * random.nextGaussian());
            h.record(samples[i]);
        }
        Arrays.sort(samples);
        for (double q : new double[] {0.01, 0.5, 0.9, 0.99, 0.999, 1.0}) {
            long exact = samples[(int) Math.ceil(q * samples.length) - 1];
            long reported = h.percentile(q);
            assertTrue(reported >= exact, "q=" + q + ": " + reported + " < exact " + exact);
            assertTrue(reported <= exact + exact / LatencyHistogram.SUB_BUCKETS + 1,
                    "q=" + q + ": " + reported + " too far above exact " + exact);
        }
        assertEquals(samples[samples.length - 1], h.max());
        assertEquals(samples.length, h.count());
    }

    @Test
    void everyValueFallsInsideItsBucket() {
        Random random = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            long v = random.nextLong() >>> (1 + random.nextInt(63));
            int index = LatencyHistogram.index(v);
            assertTrue(v <= LatencyHistogram.upperBound(index), "value " + v + " above its bucket");
            assertTrue(index == 0 || v > LatencyHistogram.upperBound(index - 1), "value " + v + " below its bucket");
        }
        assertEquals(Long.MAX_VALUE, LatencyHistogram.upperBound(LatencyHistogram.index(Long.MAX_VALUE)));
    }

    @Test
    void negativeValuesCountAsZero() {
        LatencyHistogram h = new LatencyHistogram();
        h.record(-5);
        assertEquals(0, h.percentile(1.0));
        assertEquals(1, h.count());
    }
}
