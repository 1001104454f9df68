package io.catflap.client;

import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * The client tests' one way to wait: poll a state until it holds, with a generous deadline, never sleep for a guessed
 * time (the machine may be loaded; tests assert states, not durations).
 */
public final class Await {
    /** Deadline of {@link #until(String, Callable)}. */
    public static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final long POLL_MILLIS = 50;

    private Await() {
    }

    /** Returns once {@code condition} holds; fails naming {@code what} after {@link #DEADLINE}. */
    public static void until(String what, Callable<Boolean> condition) throws Exception {
        if (!until(DEADLINE, true, condition)) {
            throw new AssertionError("still not true after " + DEADLINE.toSeconds() + " s: " + what);
        }
    }

    /** Returns the last value of {@code value} once it equals {@code expected}, or the last value seen at the deadline. */
    public static <T> T until(Duration timeout, T expected, Callable<T> value) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = value.call();
        while (!expected.equals(last) && System.nanoTime() < deadline) {
            Thread.sleep(POLL_MILLIS);
            last = value.call();
        }
        return last;
    }
}
