package io.catflap.client;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Polls a condition until it holds or a generous deadline passes (tests never assert on timing). */
public final class Await {
    private Await() {
    }

    /** Returns the last value of {@code value} once it equals {@code expected}, or the last value seen at the deadline. */
    public static <T> T until(Duration timeout, T expected, Callable<T> value) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = value.call();
        while (!expected.equals(last) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            last = value.call();
        }
        return last;
    }
}
