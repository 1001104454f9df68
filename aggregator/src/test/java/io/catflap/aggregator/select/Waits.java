package io.catflap.aggregator.select;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.Callable;

/** Polls a condition with a generous deadline: tests wait for events, they never assert on timing. */
public final class Waits {

    private Waits() {
    }

    public static void until(String what, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }
}
