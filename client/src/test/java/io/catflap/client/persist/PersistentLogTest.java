package io.catflap.client.persist;

import static io.catflap.client.Await.until;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PersistentLogTest {

    private static final String TABLE = "db.events(id,name)";

    @TempDir
    Path dir;

    private final MeterRegistry registry = new SimpleMeterRegistry();

    private static PersistOptions options(long maxFileSize, boolean markAsDone, int maxSendSize) {
        return new PersistOptions(maxFileSize, Duration.ofHours(1), FsyncPolicy.NEVER, markAsDone, maxSendSize);
    }

    private static byte[] tuple(int i) {
        return ("(" + i + ")").getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> tuples(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> "(" + i + ")").toList();
    }

    private void appendTuples(PersistentLog plog, int from, int to) throws IOException {
        for (int i = from; i < to; i++) {
            plog.append(TABLE, false, tuple(i));
        }
    }

    private double counter(String name) {
        return registry.find("catflap.client.persist." + name).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private List<Path> files(String suffix) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Appends tuples {@code from} to {@code to} and waits until the sink has them all. */
    private void deliver(PersistentLog plog, RecordingSink sink, int from, int to) throws Exception {
        appendTuples(plog, from, to);
        plog.startSender(sink);
        until((to - from) + " tuples", () -> sink.tuples(TABLE).size() == to - from);
    }

    @ParameterizedTest
    @EnumSource(FsyncPolicy.class)
    void roundTripKeepsOrderAndFormatPerTable(FsyncPolicy fsync) throws Exception {
        RecordingSink sink = new RecordingSink();
        ByteArrayOutputStream binary = new ByteArrayOutputStream();
        PersistOptions opts = new PersistOptions(1 << 20, Duration.ofHours(1), fsync, false, 1 << 20);
        try (PersistentLog plog = new PersistentLog(dir, opts, registry)) {
            appendTuples(plog, 0, 100);
            for (int i = 0; i < 50; i++) {
                byte[] row = {(byte) i, 0, (byte) 0xFF, '\n', ','};
                plog.append("db.bin", true, row);
                binary.write(row);
            }
            plog.append(TABLE, false, new byte[0]);
            plog.startSender(sink);
            appendTuples(plog, 100, 200);
            until("200 tuples", () -> sink.tuples(TABLE).size() == 200);
            until("250 records sent", () -> counter("sent_records") == 250);
        }
        assertEquals(tuples(0, 200), sink.tuples(TABLE));
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        sink.accepted().stream().filter(RecordingSink.Sent::rowBinary).forEach(s -> got.writeBytes(s.body()));
        assertArrayEquals(binary.toByteArray(), got.toByteArray());
        assertEquals(250, counter("appended_records"));
        assertEquals(0, counter("corrupt_records"));
    }

    /**
     * Rows arriving one by one while a batch is out wait for the send period and go out together: one insert per
     * period, not one per round trip to the destination.
     */
    @Test
    void aTrickleOfRowsGoesOutOncePerPeriod() throws Exception {
        RecordingSink sink = new RecordingSink();
        try (PersistentLog plog = new PersistentLog(dir, options(1 << 20, false, 1 << 20), registry)) {
            deliver(plog, sink, 0, 1);
            for (int i = 1; i < 21; i++) {
                appendTuples(plog, i, i + 1);
                Thread.sleep(10);
            }
            until("21 tuples", () -> sink.tuples(TABLE).size() == 21);
        }
        assertEquals(tuples(0, 21), sink.tuples(TABLE));
        assertTrue(sink.accepted().size() <= 3, "20 rows over 200 ms in at most two batches after the first: "
                + sink.accepted().size());
    }

    /**
     * A backlog goes out back to back: a batch ended by the send size is full even when its records do not add up
     * to the size exactly, so no send period is waited between them.
     */
    @Test
    void aBacklogLeavesInFullBatchesWithoutWaitingForThePeriod() throws Exception {
        RecordingSink sink = new RecordingSink();
        long started;
        try (PersistentLog plog = new PersistentLog(dir, options(1 << 20, false, 22), registry)) {
            started = System.nanoTime();
            deliver(plog, sink, 100, 140); // 5 bytes each: four records per 22-byte batch, the fifth does not fit
        }
        long periods = (System.nanoTime() - started) / TimeUnit.MILLISECONDS.toNanos(StreamSender.SEND_PERIOD_MILLIS);
        assertEquals(tuples(100, 140), sink.tuples(TABLE));
        assertEquals(10, sink.accepted().size());
        assertTrue(periods < 5, "10 batches, " + periods + " send periods: a pause after each would take 9");
    }

    /**
     * Appends that queue up while none is being written go to a writer thread together: one task, one write, in the
     * order they came; a group is capped, and the rest follow in the same task.
     */
    @Test
    void queuedAppendsAreWrittenInGroupsByOneTask() throws Exception {
        List<Runnable> tasks = new ArrayList<>();
        int n = AppendQueue.MAX_GROUP_RECORDS + 100;
        List<CompletableFuture<Void>> stored = new ArrayList<>();
        RecordingSink sink = new RecordingSink();
        try (PersistentLog plog = new PersistentLog(dir, options(1 << 20, false, 1 << 20), registry)) {
            for (int i = 0; i < n; i++) {
                stored.add(plog.appendAsync(TABLE, false, tuple(i), tasks::add));
            }
            assertEquals(1, tasks.size(), "one writer task for all the queued appends");
            assertFalse(stored.get(0).isDone(), "nothing is written before the writer runs");
            assertEquals(0, counter("appended_records"));
            tasks.get(0).run();
            assertTrue(stored.stream().allMatch(f -> f.isDone() && !f.isCompletedExceptionally()));
            assertEquals(n, counter("appended_records"));
            CompletableFuture<Void> later = plog.appendAsync(TABLE, false, tuple(n), tasks::add);
            assertEquals(2, tasks.size(), "the writer was done: the next append hands on a new task");
            tasks.get(1).run();
            later.get();
            plog.startSender(sink);
            until((n + 1) + " tuples", () -> sink.tuples(TABLE).size() == n + 1);
        }
        assertEquals(tuples(0, n + 1), sink.tuples(TABLE));
    }

    @Test
    void appendsAfterTheWritersAreGoneFailAndSoDoAppendsToAClosedLog() throws Exception {
        PersistentLog plog = new PersistentLog(dir, options(1 << 20, false, 1 << 20), registry);
        CompletableFuture<Void> rejected = plog.appendAsync(TABLE, false, tuple(1), task -> {
            throw new RejectedExecutionException("shut down");
        });
        assertTrue(rejected.isCompletedExceptionally());
        List<Runnable> tasks = new ArrayList<>();
        CompletableFuture<Void> queued = plog.appendAsync(TABLE, false, tuple(2), tasks::add);
        plog.close();
        tasks.forEach(Runnable::run);
        ExecutionException e = assertThrows(ExecutionException.class, queued::get);
        assertTrue(e.getCause() instanceof IOException, e.toString());
    }

    @Test
    void senderBatchesUpToMaxSendSize() throws Exception {
        RecordingSink sink = new RecordingSink();
        try (PersistentLog plog = new PersistentLog(dir, options(1 << 20, false, 20), registry)) {
            deliver(plog, sink, 100, 120); // 5 bytes each: four records per 20-byte batch
        }
        assertEquals(tuples(100, 120), sink.tuples(TABLE));
        for (RecordingSink.Sent s : sink.accepted()) {
            assertEquals("(100),(101),(102),(103)".length(), s.body().length, s.text());
        }
    }

    @Test
    void rotatesBySizeAndMarksDeliveredSegmentsDone() throws Exception {
        RecordingSink sink = new RecordingSink();
        try (PersistentLog plog = new PersistentLog(dir, options(200, true, 1 << 20), registry)) {
            appendTuples(plog, 0, 100);
            assertTrue(files(".seg").size() >= 5, "segments: " + files(".seg"));
            plog.startSender(sink);
            until("100 tuples", () -> sink.tuples(TABLE).size() == 100);
        }
        assertEquals(tuples(0, 100), sink.tuples(TABLE));
        List<Path> done = files(".seg.done");
        assertTrue(done.size() >= 5, "done: " + done);
        assertEquals(1, files(".seg").size(), "all but the open segment delivered and renamed");
    }

    @Test
    void deliveredSegmentsAreDeletedWithoutMarkAsDone() throws Exception {
        RecordingSink sink = new RecordingSink();
        try (PersistentLog plog = new PersistentLog(dir, options(200, false, 1 << 20), registry)) {
            deliver(plog, sink, 0, 100);
            until("sealed segments deleted, only the open one left", () -> files(".seg").size() == 1);
        }
        assertEquals(List.of(), files(".done"));
    }

    @Test
    void acknowledgedSegmentLeftBehindByACrashIsRetiredAtOpen() throws Exception {
        RecordingSink sink = new RecordingSink();
        try (PersistentLog plog = new PersistentLog(dir, options(200, false, 1 << 20), registry)) {
            deliver(plog, sink, 0, 30);
        }
        Path open = files(".seg").get(0);
        Path leftover = open.resolveSibling("00000000000000000001.seg"); // delivered, deleted, "not yet deleted"
        Files.write(leftover, "not read again".getBytes(StandardCharsets.UTF_8));
        RecordingSink again = new RecordingSink();
        try (PersistentLog plog = new PersistentLog(dir, options(200, false, 1 << 20), registry)) {
            plog.startSender(again);
            plog.append(TABLE, false, tuple(30));
            until("the new tuple", () -> again.tuples(TABLE).size() == 1);
            assertFalse(Files.exists(leftover));
        }
        assertEquals(List.of("(30)"), again.tuples(TABLE));
        assertEquals(0, counter("corrupt_records"));
    }

    @Test
    void segmentDeletedByHandIsSkipped() throws Exception {
        try (PersistentLog plog = new PersistentLog(dir, options(75, true, 1 << 20), registry)) {
            appendTuples(plog, 0, 30); // a 30-byte header and 15- or 16-byte records: 3 records per segment
        }
        Files.delete(files(".seg").get(1));
        RecordingSink sink = new RecordingSink();
        try (PersistentLog plog = new PersistentLog(dir, options(75, true, 1 << 20), registry)) {
            plog.startSender(sink);
            until("the other 27 tuples", () -> sink.tuples(TABLE).size() == 27);
        }
        List<String> expected = new ArrayList<>(tuples(0, 30));
        expected.removeAll(tuples(3, 6));
        assertEquals(expected, sink.tuples(TABLE));
    }

    @Test
    void rotatesByTimeEvenWhenIdle() throws Exception {
        PersistOptions opts = new PersistOptions(1 << 20, Duration.ofMillis(200), FsyncPolicy.NEVER, true, 1 << 20);
        RecordingSink sink = new RecordingSink();
        try (PersistentLog plog = new PersistentLog(dir, opts, registry)) {
            plog.append(TABLE, false, tuple(1));
            Thread.sleep(300);
            plog.append(TABLE, false, tuple(2)); // the first segment is too old: this one opens a second
            assertEquals(2, files(".seg").size());
            plog.startSender(sink);
            // the idle sender seals the second one too
            until("both segments rotated and marked done", () -> files(".seg.done").size() == 2);
        }
        assertEquals(tuples(1, 3), sink.tuples(TABLE));
    }

    @Test
    void acknowledgedPositionSurvivesReopen() throws Exception {
        AtomicInteger accepted = new AtomicInteger();
        RecordingSink first = new RecordingSink(s ->
                accepted.incrementAndGet() <= 3 ? null : new IllegalStateException("destination down"));
        PersistOptions opts = options(1 << 20, false, 5); // one record per batch
        try (PersistentLog plog = new PersistentLog(dir, opts, registry)) {
            appendTuples(plog, 0, 10);
            plog.startSender(first);
            until("some failed retries", () -> first.calls() >= 5);
        }
        assertEquals(tuples(0, 3), first.tuples(TABLE));

        RecordingSink second = new RecordingSink();
        try (PersistentLog plog = new PersistentLog(dir, opts, new SimpleMeterRegistry())) {
            appendTuples(plog, 10, 12);
            plog.startSender(second);
            until("the rest", () -> second.tuples(TABLE).size() == 9);
        }
        assertEquals(tuples(3, 12), second.tuples(TABLE), "resumes after the last acknowledged record");
    }

    @Test
    void theBatchInFlightAtACrashIsSentAgainExactlyWithTheSameKey() throws Exception {
        List<RecordingSink.Sent> attempts = new CopyOnWriteArrayList<>();
        PersistSink unanswered = (table, rowBinary, body, key) -> {
            attempts.add(new RecordingSink.Sent(table, rowBinary, body.clone(), key.clone()));
            return CompletableFuture.failedFuture(new IOException("connection lost before the answer"));
        };
        try (PersistentLog plog = new PersistentLog(dir, options(1 << 20, false, 6), registry)) {
            appendTuples(plog, 0, 5);
            plog.startSender(unanswered);
            until("a batch sent and not answered", () -> !attempts.isEmpty());
        }
        RecordingSink sink = new RecordingSink();
        // a larger send size: read anew, the first batch would hold all five records
        try (PersistentLog plog = new PersistentLog(dir, options(1 << 20, false, 1 << 20), new SimpleMeterRegistry())) {
            plog.startSender(sink);
            until("everything", () -> sink.tuples(TABLE).size() == 5);
        }
        RecordingSink.Sent lost = attempts.get(0);
        List<RecordingSink.Sent> sent = sink.accepted();
        assertEquals("(0),(1)", lost.text());
        assertEquals(lost.text(), sent.get(0).text(), "the same records");
        assertArrayEquals(lost.key(), sent.get(0).key(), "under the same key");
        assertEquals(tuples(0, 5), sink.tuples(TABLE));
        assertFalse(Arrays.equals(lost.key(), sent.get(1).key()), "the next batch has its own key");
    }

    @Test
    void streamsWithTheSameRecordsHaveDifferentKeys() throws Exception {
        List<byte[]> keys = new ArrayList<>();
        for (Path d : List.of(dir.resolve("host-a"), dir.resolve("host-b"))) {
            RecordingSink sink = new RecordingSink();
            try (PersistentLog plog = new PersistentLog(d, options(1 << 20, false, 1 << 20), new SimpleMeterRegistry())) {
                appendTuples(plog, 0, 3);
                plog.startSender(sink);
                until("delivery", () -> sink.tuples(TABLE).size() == 3);
            }
            keys.add(sink.accepted().get(0).key());
        }
        assertEquals(16, keys.get(0).length);
        assertFalse(Arrays.equals(keys.get(0), keys.get(1)), "two hosts' logs must not suppress each other's rows");
    }

    @Test
    void closeLetsTheBatchInFlightBeAcknowledged() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        PersistSink slow = (table, rowBinary, body, key) -> {
            calls.incrementAndGet();
            return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
        };
        try (PersistentLog plog = new PersistentLog(dir, options(1 << 20, false, 1 << 20), registry)) {
            appendTuples(plog, 0, 5);
            plog.startSender(slow);
            until("the batch in flight", () -> calls.get() == 1);
        }
        RecordingSink sink = new RecordingSink();
        try (PersistentLog plog = new PersistentLog(dir, options(1 << 20, false, 1 << 20), new SimpleMeterRegistry())) {
            plog.startSender(sink);
            plog.append(TABLE, false, tuple(5));
            until("a delivery", () -> !sink.tuples(TABLE).isEmpty());
        }
        assertEquals(List.of("(5)"), sink.tuples(TABLE), "nothing sent twice");
    }

    @Test
    void senderRetriesFailedBatchWithBackoff() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        RecordingSink sink = new RecordingSink(s ->
                calls.incrementAndGet() <= 3 ? new IllegalStateException("connection refused") : null);
        try (PersistentLog plog = new PersistentLog(dir, options(1 << 20, false, 1 << 20), registry)) {
            appendTuples(plog, 0, 10);
            plog.startSender(sink);
            until("10 tuples", () -> sink.tuples(TABLE).size() == 10);
        }
        assertEquals(tuples(0, 10), sink.tuples(TABLE));
        assertEquals(3, counter("send_errors"));
    }

    @Test
    void tornTailIsSkippedAndCounted() throws Exception {
        try (PersistentLog plog = new PersistentLog(dir, options(1 << 20, false, 1 << 20), registry)) {
            appendTuples(plog, 0, 5);
        }
        Path segment = files(".seg").get(0);
        long size = Files.size(segment);
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            f.setLength(size - 2); // the last record, "(4)" with its 12-byte header, loses two bytes
        }
        RecordingSink sink = new RecordingSink();
        try (PersistentLog plog = new PersistentLog(dir, options(1 << 20, false, 1 << 20), registry)) {
            plog.startSender(sink);
            appendTuples(plog, 5, 6);
            until("5 tuples", () -> sink.tuples(TABLE).size() == 5);
        }
        assertEquals(List.of("(0)", "(1)", "(2)", "(3)", "(5)"), sink.tuples(TABLE));
        assertEquals(1, counter("corrupt_records"));
        assertEquals(12 + 3 - 2, counter("corrupt_bytes"));
        assertFalse(Files.exists(segment), "the torn segment is retired");
    }

    @Test
    void corruptRecordsAreSkippedAndTheRestDelivered() throws Exception {
        try (PersistentLog plog = new PersistentLog(dir, options(1 << 20, false, 1 << 20), registry)) {
            appendTuples(plog, 10, 20); // 4-byte rows, 16 bytes per record
        }
        Path segment = files(".seg").get(0);
        long first = Files.size(segment) - 10 * 16;
        flip(segment, first + 2 * 16 + 12 + 1);  // a payload byte of (12)
        flip(segment, first + 5 * 16 + 6);       // the length field of (15)
        RecordingSink sink = new RecordingSink();
        try (PersistentLog plog = new PersistentLog(dir, options(1 << 20, false, 1 << 20), registry)) {
            plog.startSender(sink);
            until("8 tuples", () -> sink.tuples(TABLE).size() == 8);
        }
        List<String> expected = new ArrayList<>(tuples(10, 20));
        expected.removeAll(List.of("(12)", "(15)"));
        assertEquals(expected, sink.tuples(TABLE));
        assertEquals(2, counter("corrupt_records"));
        assertEquals(2 * 16, counter("corrupt_bytes"));
    }

    @Test
    void largeRecordsAcrossReadWindowsAndAResyncPastOne() throws Exception {
        Random random = new Random(42);
        List<byte[]> records = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            byte[] r = new byte[10_000 + random.nextInt(140_000)]; // the reader's window is 64 KiB
            random.nextBytes(r);
            records.add(r);
        }
        try (PersistentLog plog = new PersistentLog(dir, options(50 << 20, false, 1), registry)) {
            for (byte[] r : records) {
                plog.append("db.blobs", true, r);
            }
        }
        Path segment = files(".seg").get(0);
        long offset = Files.size(segment) - records.stream().mapToLong(r -> 12 + r.length).sum();
        for (int i = 0; i < 3; i++) {
            offset += 12 + records.get(i).length;
        }
        flip(segment, offset + 12 + records.get(3).length / 2); // the middle of the 4th record
        RecordingSink sink = new RecordingSink();
        try (PersistentLog plog = new PersistentLog(dir, options(50 << 20, false, 1), registry)) {
            plog.startSender(sink);
            until("7 records", () -> sink.accepted().size() == 7);
        }
        List<byte[]> expected = new ArrayList<>(records);
        expected.remove(3);
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), sink.accepted().get(i).body(), "record " + i);
        }
        assertEquals(1, counter("corrupt_records"));
        assertEquals(12 + records.get(3).length, counter("corrupt_bytes"));
    }

    private static void flip(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x20);
        }
    }

    @Test
    void rejectedRecordIsIsolatedAndDropped() throws Exception {
        RecordingSink sink = new RecordingSink(s ->
                s.text().contains("(13)") ? new RowsRejectedException("Code: 53, type mismatch") : null);
        try (PersistentLog plog = new PersistentLog(dir, options(1 << 20, false, 1 << 20), registry)) {
            appendTuples(plog, 10, 20);
            plog.startSender(sink);
            until("9 tuples", () -> sink.tuples(TABLE).size() == 9);
            until("the rejected record counted", () -> counter("rejected_records") == 1);
        }
        List<String> expected = new ArrayList<>(tuples(10, 20));
        expected.remove("(13)");
        assertEquals(expected, sink.tuples(TABLE));
        assertEquals("(13)".length(), counter("rejected_bytes"));
    }

    @Test
    void backlogGaugeFallsToZeroOnceDelivered() throws Exception {
        RecordingSink sink = new RecordingSink();
        try (PersistentLog plog = new PersistentLog(dir, options(1 << 20, false, 1 << 20), registry)) {
            appendTuples(plog, 0, 10);
            double backlog = registry.get("catflap.client.persist.backlog_bytes").gauge().value();
            assertTrue(backlog >= 10 * 15, "backlog " + backlog);
            plog.startSender(sink);
            until("no backlog", () -> registry.get("catflap.client.persist.backlog_bytes").gauge().value() == 0);
        }
    }

    @Test
    void secondLogOnTheSameDirectoryIsRefused() throws Exception {
        PersistentLog first = new PersistentLog(dir, PersistOptions.defaults(), registry);
        try {
            IOException e = assertThrows(IOException.class,
                    () -> new PersistentLog(dir, PersistOptions.defaults(), new SimpleMeterRegistry()));
            assertTrue(e.getMessage().contains("already using"), e.getMessage());
        } finally {
            first.close();
        }
        new PersistentLog(dir, PersistOptions.defaults(), new SimpleMeterRegistry()).close();
    }

    @Test
    void fsyncPolicyDecidesHowOftenSegmentsAreFlushed() throws Exception {
        assertEquals(50, fsyncsAfter50Appends(FsyncPolicy.ALWAYS, Duration.ofHours(1), 50),
                "one per append from a single thread");
        assertEquals(0, fsyncsAfter50Appends(FsyncPolicy.INTERVAL, Duration.ofHours(1), 0),
                "appends do not wait for an fsync; the first periodic one is an hour away");
        assertTrue(fsyncsAfter50Appends(FsyncPolicy.INTERVAL, Duration.ofMillis(20), 1) >= 1,
                "the periodic task flushes without any further append");
        assertEquals(0, fsyncsAfter50Appends(FsyncPolicy.NEVER, Duration.ofMillis(20), 0));
    }

    /** Appends 50 records from one thread, waits for {@code atLeast} data fsyncs, and counts them. */
    private double fsyncsAfter50Appends(FsyncPolicy policy, Duration interval, int atLeast) throws Exception {
        MeterRegistry r = new SimpleMeterRegistry();
        PersistOptions opts = new PersistOptions(1 << 20, Duration.ofHours(1), policy, false, 1 << 20, interval);
        try (PersistentLog plog = new PersistentLog(dir.resolve(policy.name() + interval.toMillis()), opts, r)) {
            appendTuples(plog, 0, 50);
            until(atLeast + " fsyncs", () -> r.get("catflap.client.persist.fsync").timer().count() >= atLeast);
            return r.get("catflap.client.persist.fsync").timer().count();
        }
    }

    @Test
    void fsyncPolicyParses() {
        assertEquals(FsyncPolicy.ALWAYS, FsyncPolicy.parse("always"));
        assertEquals(FsyncPolicy.INTERVAL, FsyncPolicy.parse(" Interval "));
        assertEquals(FsyncPolicy.NEVER, FsyncPolicy.parse("NEVER"));
        assertThrows(IllegalArgumentException.class, () -> FsyncPolicy.parse("sometimes"));
    }
}
