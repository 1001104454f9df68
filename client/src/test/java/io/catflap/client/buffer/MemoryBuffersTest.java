package io.catflap.client.buffer;

import io.catflap.client.ClientMetrics;
import io.catflap.client.kitten.InsertException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Buffer rules with a scripted sink (fault injection); the end-to-end behaviour is in the process tests. */
class MemoryBuffersTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void refusesPastTheCapCountingBytesInFlight() {
        MemoryBuffers buffers = new MemoryBuffers((t, rb, body) -> new CompletableFuture<>(), timer, 100, 1 << 20,
                new ClientMetrics(registry));
        assertTrue(buffers.write("t(a)", false, new byte[60]));
        assertFalse(buffers.write("t(a)", false, new byte[40]));   // 60 + 40 + 1 >= 100, kittenhouse's rule
        assertTrue(buffers.write("t(a)", true, new byte[60]));     // RowBinary has its own buffer
        assertEquals(1.0, registry.get("catflap.client.refused.writes").counter().count());
        assertEquals(40.0, registry.get("catflap.client.refused.bytes").counter().count());
        assertEquals(120, buffers.totalBytes());
    }

    @Test
    void transientFailureIsRetriedInOrderAndOnlyTheBadWriteIsDropped() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        List<String> delivered = new CopyOnWriteArrayList<>();
        InsertSink sink = (table, rowBinary, body) -> {
            String s = new String(body, StandardCharsets.UTF_8);
            if (table.startsWith("bad")) {
                if (s.contains("'x'")) {
                    return CompletableFuture.failedFuture(new InsertException(500, "Code: 27, e.displayText() = bad row"));
                }
                delivered.add(s);
                return CompletableFuture.completedFuture(null);
            }
            if (calls.incrementAndGet() == 1) {
                return CompletableFuture.failedFuture(new IOException("connection refused"));
            }
            delivered.add(s);
            return CompletableFuture.completedFuture(null);
        };
        MemoryBuffers buffers = new MemoryBuffers(sink, timer, 1 << 20, 1 << 20, new ClientMetrics(registry));
        buffers.write("t(a)", false, b("(1)"));
        buffers.write("t(a)", false, b("(2),"));
        buffers.write("bad(a)", false, b("('x')"));
        buffers.write("bad(a)", false, b("(3)"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (buffers.totalBytes() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(List.of("(1),(2)", "(3)"), delivered.stream().sorted().toList());
        assertEquals(2, calls.get());
        assertEquals(5.0, registry.get("catflap.client.rejected.bytes").counter().count());
        assertEquals(0, buffers.totalBytes());
    }
}
