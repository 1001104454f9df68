package io.catflap.client.persist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures (prints, never asserts) append throughput of 100-byte records under each fsync policy, from one thread
 * and from 4 and 16 (where group commit pays off).
 */
class AppendThroughputTest {

    private static final long RUN_NANOS = TimeUnit.MILLISECONDS.toNanos(700);
    private static final int MAX_RECORDS_PER_THREAD = 300_000;
    private static final byte[] ROW = ("(1234567890,'host-0001.example.org','" + "x".repeat(61) + "')").getBytes();

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(FsyncPolicy.class)
    void appendThroughput(FsyncPolicy policy) throws Exception {
        for (int threads : new int[] {1, 4, 16}) {
            Path d = dir.resolve(policy + "-" + threads);
            PersistOptions opts = new PersistOptions(50L << 20, Duration.ofHours(1), policy, false, 1 << 20,
                    Duration.ofMillis(100));
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            AtomicLong appended = new AtomicLong();
            long elapsed;
            try (PersistentLog plog = new PersistentLog(d, opts, registry)) {
                List<Thread> workers = new ArrayList<>();
                long start = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    Thread w = new Thread(() -> {
                        try {
                            for (int i = 0; i < MAX_RECORDS_PER_THREAD && System.nanoTime() - start < RUN_NANOS; i++) {
                                plog.append("db.t(a,b,c,d,e,f)", false, ROW);
                                appended.incrementAndGet();
                            }
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    });
                    workers.add(w);
                    w.start();
                }
                for (Thread w : workers) {
                    w.join();
                }
                elapsed = System.nanoTime() - start;
            }
            assertEquals(appended.get(), registry.get("catflap.client.persist.appended_records").counter().count());
            System.out.printf("persist append, fsync=%s, %d thread(s), 100-byte records: %,.0f records/s%n",
                    policy.name().toLowerCase(), threads, appended.get() / (elapsed / 1e9));
        }
    }
}
