package io.catflap.protocol;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fails a test class whose tests leaked ByteBufs (the report's access records name the test). Registered for every test of this module (extension autodetection),
 * so it installs its detector before the first buffer class loads. Leaks are found through GC, so a leak
 * may be missed, but a report is never false.
 */
public final class LeakCheck implements AfterAllCallback {
    private static final List<String> LEAKS = new ArrayList<>();

    static {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            @SuppressWarnings("deprecation") // the factory's only abstract method
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
                return new ResourceLeakDetector<>(resource, samplingInterval) {
                    @Override
                    protected boolean needReport() {
                        return true;
                    }

                    @Override
                    protected void reportTracedLeak(String type, String records) {
                        record(type + " leaked:" + records);
                    }

                    @Override
                    protected void reportUntracedLeak(String type) {
                        record(type + " leaked");
                    }
                };
            }
        });
    }

    private static void record(String leak) {
        synchronized (LEAKS) {
            LEAKS.add(leak);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        List<String> leaks = collect(3);
        if (!leaks.isEmpty()) {
            fail(String.join("\n", leaks));
        }
    }

    /** Runs GC {@code rounds} times and returns (and forgets) the leaks reported so far. */
    static List<String> collect(int rounds) throws InterruptedException {
        for (int i = 0; i < rounds; i++) {
            System.gc();
            Thread.sleep(20);
            // Leaks are reported on the next tracked allocation.
            PooledByteBufAllocator.DEFAULT.buffer(1).release();
        }
        synchronized (LEAKS) {
            List<String> leaks = List.copyOf(LEAKS);
            LEAKS.clear();
            return leaks;
        }
    }
}
