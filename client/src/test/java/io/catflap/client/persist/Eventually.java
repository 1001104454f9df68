package io.catflap.client.persist;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Polls a condition until it holds; fails only after a generous deadline (tests never assert on timing). */
final class Eventually {

    private static final long TIMEOUT_SECONDS = 60;

    private Eventually() {
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + TIMEOUT_SECONDS + " s waiting for " + what);
            }
            Thread.sleep(10);
        }
    }
}
