package io.catflap.client.buffer;

import io.catflap.client.ClientMetrics;
import io.catflap.client.Ingest;
import io.catflap.client.buffer.MemoryBuffers.Offer;
import io.catflap.client.kitten.InsertException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
                1 << 20, new ClientMetrics(registry));
        assertEquals(Offer.BUFFERED, buffers.write(buffers.buffer("t(a)", false), new byte[60]));
        assertEquals(Offer.TABLE_FULL, buffers.write(buffers.buffer("t(a)", false), new byte[40]));   // 60 + 40 + 1 >= 100
        assertEquals(Offer.BUFFERED, buffers.write(buffers.buffer("t(a)", true), new byte[60]));      // RowBinary: its own buffer
        assertEquals(1.0, registry.get("catflap.client.refused.writes").tag("cap", "table").counter().count());
        assertEquals(40.0, registry.get("catflap.client.refused.bytes").tag("cap", "table").counter().count());
        assertEquals(120, buffers.totalBytes());
    }

    @Test
    void rowsThatArriveDuringASendWaitForTheNextPeriodWhileFullBatchesGoBackToBack() throws Exception {
        List<CompletableFuture<Void>> answers = new CopyOnWriteArrayList<>();
        List<Long> sentAt = new CopyOnWriteArrayList<>();
        InsertSink sink = (table, rowBinary, body) -> {
            sentAt.add(System.nanoTime());
            CompletableFuture<Void> answer = new CompletableFuture<>();
            answers.add(answer);
            return answer;
        };
        MemoryBuffers buffers = new MemoryBuffers(sink, timer, 1 << 20, 1 << 20, 10, new ClientMetrics(registry));
        TableBuffer buffer = buffers.buffer("t(a)", false);
        buffers.write(buffer, b("(1)"));
        poll(() -> answers.size() == 1);
        buffers.write(buffer, b("(2)"));   // a steady stream: less than a batch arrives while one is sent
        answers.get(0).complete(null);
        Thread.sleep(500);                 // the period is at least 1 s
        assertEquals(1, answers.size());

        poll(() -> answers.size() == 2);
        for (int i = 0; i < 4; i++) {
            buffers.write(buffer, b("(1000000)"));   // a backlog: 3 batches of 10 bytes or more
        }
        answers.get(1).complete(null);
        for (int next = 2; next < 5; next++) {
            int sent = next;
            poll(() -> answers.size() > sent);
            answers.get(sent).complete(null);
        }
        assertTrue(sentAt.get(4) - sentAt.get(2) < TimeUnit.MILLISECONDS.toNanos(900),
                "full batches were sent one period apart");
        poll(() -> answers.size() == 6);   // the last write, less than a batch, a period later
        answers.get(5).complete(null);
        awaitEmpty(buffers);
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
        MemoryBuffers buffers = new MemoryBuffers(sink, timer, 1 << 20, 1 << 20, 1 << 20, new ClientMetrics(registry));
        buffers.write(buffers.buffer("t(a)", false), b("(1)"));
        buffers.write(buffers.buffer("t(a)", false), b("(2),"));
        buffers.write(buffers.buffer("bad(a)", false), b("('x')"));
        buffers.write(buffers.buffer("bad(a)", false), b("(3)"));
        awaitEmpty(buffers);
        assertEquals(List.of("(1),(2)", "(3)"), delivered.stream().sorted().toList());
        assertEquals(2, calls.get());
        assertEquals(5.0, registry.get("catflap.client.rejected.bytes").counter().count());
        assertEquals(0, buffers.totalBytes());
    }

    @Test
    void allTablesTogetherStayUnderTheMemoryCapWhileTheSinkIsDownAndDeliverEverythingAfter() throws Exception {
        AtomicBoolean down = new AtomicBoolean(true);
        Set<String> failedTables = ConcurrentHashMap.newKeySet();
        List<String> delivered = new CopyOnWriteArrayList<>();
        InsertSink sink = (table, rowBinary, body) -> {
            if (down.get()) {
                failedTables.add(table);
                return CompletableFuture.failedFuture(new IOException("connection refused"));
            }
            delivered.addAll(rows(body));
            return CompletableFuture.completedFuture(null);
        };
        int tables = 40;
        int memoryCap = 1000;   // 100 writes of 10 bytes; each table's own cap (1 MiB) is far away
        ClientMetrics metrics = new ClientMetrics(registry);
        MemoryBuffers buffers = new MemoryBuffers(sink, timer, 1 << 20, memoryCap, 1 << 20, metrics);
        // Memory writes need neither the persistent log nor the router.
        Ingest ingest = new Ingest(buffers, null, null, Runnable::run, metrics);
        List<String> accepted = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        for (int id = 0; id < 200; id++) {
            String row = String.format("(%08d)", id);
            try {
                ingest.write(ingest.resolve("t" + id % tables + "(a)", false, false, false, "memory"), b(row)).join();
                accepted.add(row);
            } catch (CompletionException e) {
                refusals.add(e.getCause().getMessage());
            }
            assertTrue(buffers.totalBytes() <= memoryCap, buffers.totalBytes() + " bytes buffered");
        }
        assertEquals(100, accepted.size());
        assertEquals(memoryCap, buffers.totalBytes());
        assertEquals(List.of(Ingest.MEMORY_OVERFLOW_MESSAGE), refusals.stream().distinct().toList());
        assertTrue(Ingest.MEMORY_OVERFLOW_MESSAGE.contains("--max-memory-bytes"));
        assertEquals(100.0, registry.get("catflap.client.refused.writes").tag("cap", "memory").counters().stream()
                .mapToDouble(Counter::count).sum());
        assertTrue(registry.find("catflap.client.refused.writes").tag("cap", "table").counters().isEmpty());

        poll(() -> failedTables.size() == tables);   // every table has met the outage at least once
        assertEquals(memoryCap, buffers.totalBytes());
        down.set(false);
        awaitEmpty(buffers);
        assertEquals(accepted.stream().sorted().toList(), delivered.stream().sorted().toList());
        assertEquals(0.0, registry.get("catflap.client.buffered.bytes").gauge().value());
    }

    @Test
    void concurrentWritersAndSendersOverManyTablesAccountEveryByteExactlyOnce() throws Exception {
        ScheduledExecutorService senders = Executors.newScheduledThreadPool(4);
        ExecutorService completions = Executors.newFixedThreadPool(2);
        ExecutorService writerPool = Executors.newFixedThreadPool(4);
        try {
            AtomicInteger calls = new AtomicInteger();
            Set<String> delivered = ConcurrentHashMap.newKeySet();
            AtomicInteger duplicates = new AtomicInteger();
            // Completes off the sender threads, so bytes are released while writers reserve; one call in five fails
            // (put back, retried) and bad rows are rejected (dropped): every way bytes stay or leave is exercised.
            InsertSink sink = (table, rowBinary, body) -> CompletableFuture.runAsync(() -> {
                List<String> rows = rows(body);
                if (rows.stream().anyMatch(r -> r.startsWith("('x"))) {
                    throw new InsertException(500, "Code: 27, e.displayText() = bad row");
                }
                if (calls.incrementAndGet() % 5 == 0) {
                    throw new UncheckedIOException(new IOException("connection reset"));
                }
                rows.forEach(r -> {
                    if (!delivered.add(r)) {
                        duplicates.incrementAndGet();
                    }
                });
            }, completions);
            int tables = 50;
            long memoryCap = 20_000;
            MemoryBuffers buffers = new MemoryBuffers(sink, senders, 1 << 20, memoryCap, 4096,
                    new ClientMetrics(registry), () -> 50);   // the same races in a tenth of the periods' time
            Set<String> accepted = ConcurrentHashMap.newKeySet();
            Set<String> acceptedBad = ConcurrentHashMap.newKeySet();
            AtomicLong maxSeen = new AtomicLong();
            AtomicInteger refused = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                writers.add(writerPool.submit(() -> {
                    for (int n = 0; n < 100_000 && !stop.get(); n++) {
                        boolean bad = n % 997 == 0;
                        String row = (bad ? "('x" : "(") + writer + "-" + n + (bad ? "')" : ")");
                        Offer offer = buffers.write(buffers.buffer("t" + (n * 7 + writer) % tables + "(a)", false), b(row));
                        maxSeen.accumulateAndGet(buffers.totalBytes(), Math::max);
                        if (offer == Offer.BUFFERED) {
                            (bad ? acceptedBad : accepted).add(row);
                        } else {
                            assertEquals(Offer.MEMORY_FULL, offer);
                            refused.incrementAndGet();
                            LockSupport.parkNanos(100_000);   // let the senders run on a small machine
                        }
                    }
                }));
            }
            // Until rows have been delivered and rejected (both release bytes) while the writers run.
            poll(() -> delivered.size() > 5 * tables
                    && !registry.find("catflap.client.rejected.bytes").counters().isEmpty());
            stop.set(true);
            for (Future<?> f : writers) {
                f.get();
            }
            assertTrue(maxSeen.get() <= memoryCap, maxSeen.get() + " bytes buffered");
            assertTrue(refused.get() > 0);
            assertEquals(refused.get(), sum("catflap.client.refused.writes"));

            awaitEmpty(buffers);
            assertEquals(0, buffers.totalBytes());
            assertEquals(accepted, delivered);
            assertEquals(0, duplicates.get());
            assertEquals(acceptedBad.stream().mapToLong(String::length).sum(), sum("catflap.client.rejected.bytes"));
        } finally {
            writerPool.shutdownNow();
            senders.shutdownNow();
            completions.shutdownNow();
        }
    }

    /** A counter summed over its tags. */
    private double sum(String counter) {
        return registry.get(counter).counters().stream().mapToDouble(Counter::count).sum();
    }

    /** The rows of a VALUES body whose writes are single rows without commas inside. */
    private static List<String> rows(byte[] body) {
        String s = new String(body, StandardCharsets.UTF_8);
        return List.of(s.substring(1, s.length() - 1).split("\\),\\(")).stream().map(r -> "(" + r + ")").toList();
    }

    /**
     * Until no table holds bytes. A table releases its bytes from the total under the same lock, so the total is then
     * exactly what the accounting left behind.
     */
    private static void awaitEmpty(MemoryBuffers buffers) throws InterruptedException {
        poll(() -> buffers.bufferedBytes().values().stream().allMatch(b -> b == 0));
    }

    /** Polls for a state; the deadline only bounds a broken run (flushes come every 1–3 s, slower after failures). */
    private static void poll(BooleanSupplier state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!state.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "state not reached");
            Thread.sleep(20);
        }
    }
}
