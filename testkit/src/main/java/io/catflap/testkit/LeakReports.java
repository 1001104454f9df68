package io.catflap.testkit;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;

import java.util.function.Consumer;

/**
 * Routes Netty's leak reports to one sink, whatever the JVM's logging configuration. Netty creates a resource's
 * detector when the resource class loads, so {@link #install} must run before the first buffer class loads; a
 * second install is ignored. Leaks are found through GC, so a leak may be missed, but a report is never false.
 */
final class LeakReports {
    private static boolean installed;

    private LeakReports() {
    }

    /** Sends every leak report from now on to {@code sink} (one text per leak, naming the type and its access records). */
    static synchronized void install(Consumer<String> sink) {
        if (installed) {
            return;
        }
        installed = true;
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            @SuppressWarnings("deprecation") // the factory's only abstract method
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                    long maxActive) {
                return new ResourceLeakDetector<>(resource, samplingInterval) {
                    @Override
                    protected boolean needReport() {
                        return true;
                    }

                    @Override
                    protected void reportTracedLeak(String type, String records) {
                        sink.accept(type + " leaked:" + records);
                    }

                    @Override
                    protected void reportUntracedLeak(String type) {
                        sink.accept(type + " leaked");
                    }
                };
            }
        });
    }

    /**
     * Runs GC {@code rounds} times so that unreachable, unreleased buffers reach the sink. A detector reports what
     * GC found on its next tracked allocation, so each round allocates one buffer.
     */
    static void collect(int rounds) throws InterruptedException {
        for (int i = 0; i < rounds; i++) {
            System.gc();
            Thread.sleep(20);
            PooledByteBufAllocator.DEFAULT.buffer(1).release();
        }
    }
}
