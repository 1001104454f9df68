package io.catflap.aggregator.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.select.Waits;
import io.catflap.protocol.TableSpec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BatcherTest {
    private static final TableSpec T = TableSpec.parse("db.t(a,b)");
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** The batchers' timer: an event loop whose time moves only when {@link #advance} says so. */
    private final EmbeddedChannel clock = new EmbeddedChannel();
    private final List<Batch> written = new CopyOnWriteArrayList<>();
    private final List<Consumer<TableBatch.InsertError>> dones = new CopyOnWriteArrayList<>();
    private final List<InsertResult> answers = Collections.synchronizedList(new ArrayList<>());
    private final BatchMemory memory = new BatchMemory(1 << 20);

    BatcherTest() {
        clock.freezeTime();
    }

    @AfterEach
    void tearDown() {
        for (Batch b : written) {
            b.answer(0, b.parts(), InsertResult.OK);
        }
        clock.finishAndReleaseAll();
        assertEquals(0, memory.held(), "every batch buffer was released");
    }

    /** Moves the timer's time on and runs what became due. */
    private void advance(long millis) {
        clock.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        clock.runScheduledPendingTasks();
    }

    private Batcher batcher(int batchBytes, long flushMillis, int maxSealed) {
        return batcher(batchBytes, flushMillis, maxSealed, ActiveParts.NONE);
    }

    /** A batcher whose writer keeps every batch in flight until the test answers it; a 25 ms min flush gap. */
    private Batcher batcher(int batchBytes, long flushMillis, int maxSealed, ActiveParts parts) {
        return new Batcher(batchBytes, flushMillis, 25, parts, maxSealed, ByteBufAllocator.DEFAULT,
                clock.eventLoop(), memory, (b, done) -> {
                    written.add(b);
                    dones.add(done);
                }, RowBinaryLayouts.NONE, registry, new TrackedTables(10, registry));
    }

    /**
     * Sends a request of {@code key} that, the key being idle, leaves alone at once, and leaves its insert in
     * flight: the key's next requests gather in one batch until it is answered or the flush interval is over.
     */
    private void holdKey(Batcher b, BatchKey key, String body) {
        int before = written.size();
        submit(b, key, body);
        assertEquals(before + 1, written.size(), "a request to an idle key leaves at once");
    }

    private void submit(Batcher b, BatchKey key, String body) {
        ByteBuf buf = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        b.submit(key, buf, answers::add);
        buf.release();
    }

    private static String text(Batch b, int from, int to) {
        ByteBuf s = b.slice(from, to);
        try {
            return s.toString(StandardCharsets.UTF_8);
        } finally {
            s.release();
        }
    }

    private static BatchKey key(String format) {
        return new BatchKey("u", "p", T, InsertFormat.named(format), new TreeMap<>(), null);
    }

    @Test
    void valuesAreJoinedWithCommasAndSplitAtRequestBoundaries() {
        Batcher b = batcher(1 << 20, 60_000, 10);
        holdKey(b, key("Values"), "(0,0)");
        submit(b, key("Values"), "(1,2)");
        submit(b, key("Values"), "(3,4),(5,6)");
        submit(b, key("Values"), "(7,8)");
        b.close();
        assertEquals(2, written.size());
        Batch batch = written.get(1);
        assertEquals(3, batch.parts());
        assertEquals("(1,2),(3,4),(5,6),(7,8)", text(batch, 0, 3));
        assertEquals("(3,4),(5,6)", text(batch, 1, 2));
        assertEquals("(3,4),(5,6),(7,8)", text(batch, 1, 3));
        assertEquals(4, batch.rows());
    }

    @Test
    void lineFormatsGetTheMissingLineFeed() {
        Batcher b = batcher(1 << 20, 60_000, 10);
        holdKey(b, key("TSV"), "0\t0\n");
        submit(b, key("TSV"), "1\t2");
        submit(b, key("TSV"), "3\t4\n5\t6\n");
        b.close();
        Batch batch = written.get(1);
        assertEquals("1\t2\n3\t4\n5\t6\n", text(batch, 0, 2));
        assertEquals("3\t4\n5\t6\n", text(batch, 1, 2));
    }

    @Test
    void differentKeysNeverShareABatch() {
        Batcher b = batcher(1 << 20, 60_000, 10);
        submit(b, key("Values"), "(1,2)");
        submit(b, new BatchKey("other", "p", T, InsertFormat.VALUES, new TreeMap<>(), null), "(3,4)");
        submit(b, key("RowBinary"), "xy");
        b.close();
        assertEquals(3, written.size());
    }

    @Test
    void sealedWhenTheNextBodyWouldNotFit() {
        Batcher b = batcher(16, 60_000, 10);
        holdKey(b, key("Values"), "(0,0)");
        submit(b, key("Values"), "(1,2),(3,4)");   // 11 bytes
        submit(b, key("Values"), "(5,6)");         // 11 + 1 + 5 > 16: seals the first
        assertEquals(2, written.size());
        assertEquals("(1,2),(3,4)", text(written.get(1), 0, 1));
        submit(b, key("Values"), "(7,8),(9,0)");   // 5 + 1 + 11 = 17 > 16
        assertEquals(3, written.size());
        submit(b, key("Values"), "(1,1),(2,2),(3)"); // 15 bytes: does not fit behind the open 11
        b.close();
        assertEquals(List.of("(0,0)", "(1,2),(3,4)", "(5,6)", "(7,8),(9,0)", "(1,1),(2,2),(3)"),
                written.stream().map(w -> text(w, 0, w.parts())).toList());
    }

    @Test
    void aRequestToAnIdleKeyLeavesAtOnce() {
        Batcher b = batcher(1 << 20, 200, 10);
        submit(b, key("Values"), "(1,2)");
        assertEquals(1, written.size(), "no timer to wait for: nothing in flight, no insert of the key before");
        dones.get(0).accept(null);
        advance(1_000);
        submit(b, key("Values"), "(3,4)");
        assertEquals(2, written.size(), "the last insert was answered and sent more than a flush gap ago");
    }

    @Test
    void anInsertInFlightHoldsTheNextBatchUntilItIsAnswered() {
        Batcher b = batcher(1 << 20, 200, 10);
        holdKey(b, key("Values"), "(1,2)");
        submit(b, key("Values"), "(3,4)");
        submit(b, key("Values"), "(5,6)");
        advance(100);
        assertEquals(1, written.size());
        dones.get(0).accept(null);
        assertEquals(2, written.size(), "answered after the gap (2 x its 100 ms smoothed to 25: 50 ms) had passed");
        assertEquals(2, written.get(1).parts());
        assertEquals(50, b.tables().iterator().next().flushGapMillis());
    }

    @Test
    void afterAQuickAnswerTheNextBatchWaitsForTheGap() {
        Batcher b = batcher(1 << 20, 200, 10);
        holdKey(b, key("Values"), "(1,2)");
        submit(b, key("Values"), "(3,4)");
        advance(5);
        dones.get(0).accept(null);
        advance(19);
        assertEquals(1, written.size(), "24 ms after the last insert was sent");
        advance(1);
        assertEquals(2, written.size(), "the 25 ms min flush gap has passed");
    }

    @Test
    void theFlushIntervalBoundsTheWaitForAnInsertInFlight() {
        Batcher b = batcher(1 << 20, 50, 10);
        holdKey(b, key("Values"), "(0,0)");
        submit(b, key("Values"), "(1,2)");
        advance(49);
        assertEquals(1, written.size());
        submit(b, key("Values"), "(3,4)");
        advance(1);
        assertEquals(2, written.size(), "the interval counts from the batch's first request");
        assertEquals(2, written.get(1).parts());
    }

    @Test
    void theTablesActivePartsWidenItsKeysGaps() {
        ActiveParts crowded = new ActiveParts() {
            @Override
            public int fullestPartition(String table) {
                return table.equals("db.t") ? 150 : 0;
            }

            @Override
            public int partsToDelayInsert() {
                return 150;
            }
        };
        Batcher b = batcher(1 << 20, 200, 10, crowded);
        submit(b, key("Values"), "(1,2)");
        dones.get(0).accept(null);
        submit(b, key("Values"), "(3,4)");
        advance(199);
        assertEquals(1, written.size(), "at parts_to_delay_insert the gap is the flush interval");
        advance(1);
        assertEquals(2, written.size());
        assertEquals(200, b.tables().iterator().next().flushGapMillis());
    }

    @Test
    void unmergeableAndOversizeBodiesGoAlone() {
        Batcher b = batcher(8, 60_000, 10);
        submit(b, key("TSVWithNames"), "a\tb\n1\t2\n");
        submit(b, key("Values"), "(1,2),(3,4),(5,6)");
        assertEquals(2, written.size());
        assertEquals("a\tb\n1\t2\n", text(written.get(0), 0, 1));
        assertEquals(1, written.get(1).parts());
        assertEquals(new BatchKey(null, null, T, InsertFormat.VALUES, new TreeMap<>(), "gzip").mergeable(), false);
    }

    /** A sender's own credentials may evaluate expressions; its VALUES with them go alone, never merged. */
    @Test
    void valuesWithExpressionsUnderTheSendersCredentialsGoAlone() {
        Batcher b = batcher(1 << 20, 60_000, 10);
        BatchKey own = key("Values");
        BatchKey aggregators = new BatchKey(null, null, T, InsertFormat.VALUES, new TreeMap<>(), null);
        holdKey(b, own, "(0,'held')");   // so that what follows waits in open batches
        holdKey(b, aggregators, "(0,'held')");
        submit(b, own, "(1,'a')");
        submit(b, own, "(now(),'b')");
        submit(b, own, "(2,'b')");
        submit(b, aggregators, "(3,'c')");
        submit(b, aggregators, "(now(),'d')");
        b.close();
        List<Batch> after = written.subList(2, written.size());
        assertEquals(3, after.size(), "merged literals, the expression alone, the aggregator's merged");
        assertEquals("(now(),'b')", text(after.get(0), 0, 1));
        assertEquals(1, after.get(0).parts());
        assertEquals(2, after.stream().filter(w -> w.parts() == 2).count(),
                "the literals merged; under the aggregator's credentials nothing is evaluated, so all merge");
    }

    @Test
    void everyRequestIsAnsweredAndMemoryReleased() {
        Batcher b = batcher(1 << 20, 60_000, 10);
        holdKey(b, key("Values"), "(0,0)");
        submit(b, key("Values"), "(1,2)");
        submit(b, key("Values"), "(3,4)");
        assertTrue(memory.held() > 0);
        b.close();
        Batch batch = written.remove(1);
        batch.answer(0, 1, new InsertResult(500, "bad"));
        batch.answer(1, 2, InsertResult.OK);
        assertEquals(List.of(new InsertResult(500, "bad"), InsertResult.OK), answers);
        written.remove(0).answer(0, 1, InsertResult.OK);
        assertEquals(0, memory.held());
        submit(b, key("Values"), "(5,6)");
        assertEquals(new InsertResult(503, "catflap is shutting down"), answers.get(3));
    }

    @Test
    void sendersOfACongestedKeyAreParkedUntilItDrains() {
        Batcher b = batcher(4, 60_000, 1);
        int[] resumed = {0};
        Runnable resume = () -> resumed[0]++;
        submit(b, key("Values"), "(1,2)");
        assertFalse(b.parkIfCongested(key("Values"), resume), "one sealed batch waiting is allowed");
        submit(b, key("Values"), "(3,4)");
        assertTrue(b.parkIfCongested(key("Values"), resume));
        assertTrue(b.parkIfCongested(key("Values"), resume));
        assertFalse(b.parkIfCongested(key("RowBinary"), resume), "other keys go on");
        assertEquals(0, resumed[0]);
        dones.get(0).accept(null);
        assertEquals(2, resumed[0], "every parked sender resumes once");
        assertFalse(b.parkIfCongested(key("Values"), resume));
        dones.get(1).accept(null);
        assertEquals(2, resumed[0]);
    }

    /**
     * A batcher on {@code timer} whose writer commits every batch at once and whose keys retire after
     * {@code retireMillis}.
     */
    private Batcher committing(EventLoop timer, long flushMillis, long retireMillis, List<Integer> parts) {
        BatchWriter commitAtOnce = (batch, done) -> {
            parts.add(batch.parts());
            batch.answer(0, batch.parts(), InsertResult.OK);
            done.accept(null);
        };
        return new Batcher(1 << 20, flushMillis, 25, ActiveParts.NONE, 10, ByteBufAllocator.DEFAULT, timer, memory,
                commitAtOnce, RowBinaryLayouts.NONE, registry, new TrackedTables(10, registry),
                TimeUnit.MILLISECONDS.toNanos(retireMillis));
    }

    private static BatchKey userKey(int user) {
        return new BatchKey("user" + user, "p", T, InsertFormat.VALUES, new TreeMap<>(), null);
    }

    @Test
    void idleKeysAreDroppedAndTheirTotalsKept() throws Exception {
        List<Integer> parts = new CopyOnWriteArrayList<>();
        Batcher b = committing(clock.eventLoop(), 20, 200, parts);
        for (int i = 0; i < 1000; i++) {
            submit(b, userKey(i), "(1,2)");
        }
        assertEquals(1000, answers.size(), "each key was idle: each request left at once");
        advance(20);
        assertEquals(1000, b.size(), "keys are kept until idle for their retirement time");
        // idleness is measured on the system clock: the sweep runs until that much real time has passed
        Waits.until("idle keys retire", () -> {
            advance(100);
            return b.size() == 0;
        });
        assertEquals(1000, b.totals().stream().mapToLong(TableTotals::requestsIn).sum(),
                "the table's figures outlive its keys");
        submit(b, userKey(7), "(3,4)");
        assertEquals(1, b.size(), "a dropped key comes back fresh");
        advance(20);
        assertEquals(1001, parts.stream().mapToInt(Integer::intValue).sum());
        assertEquals(1001, b.totals().stream().mapToLong(TableTotals::insertsDone).sum());
    }

    /** Races on purpose: keys retire every millisecond of a real event loop while four threads submit. */
    @Test
    void keysRetiringWhileRequestsArriveLoseNoRequest() throws Exception {
        List<Integer> parts = new CopyOnWriteArrayList<>();
        EventLoop timer = new DefaultEventLoop();
        try {
            submitFromThreadsWhileRetiring(committing(timer, 1, 1, parts), parts);
        } finally {
            timer.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private void submitFromThreadsWhileRetiring(Batcher b, List<Integer> parts) throws Exception {
        int threads = 4;
        int perThread = 2000;
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int seed = t;
            Thread sender = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    ByteBuf buf = Unpooled.copiedBuffer("(1,2)", StandardCharsets.UTF_8);
                    b.submit(userKey((seed + i) % 8), buf, answers::add);
                    buf.release();
                    if (i % 100 == 0) {
                        Thread.yield();
                    }
                }
            });
            sender.start();
            senders.add(sender);
        }
        for (Thread t : senders) {
            t.join();
        }
        Waits.until("every request committed", () -> parts.stream().mapToInt(Integer::intValue).sum()
                == threads * perThread);
        synchronized (answers) {
            assertEquals(threads * perThread, answers.size());
            assertTrue(answers.stream().allMatch(InsertResult::ok));
        }
    }

    @Test
    void keysRetireAfterTenFlushesButNoSoonerThanFiveSeconds() {
        assertEquals(TimeUnit.SECONDS.toNanos(5), Batcher.retireAfterNanos(200));
        assertEquals(TimeUnit.SECONDS.toNanos(10), Batcher.retireAfterNanos(1000));
    }

    @Test
    void rowBoundsNeverUndercount() {
        ByteBuf values = Unpooled.copiedBuffer("(1,'a'),(2,'(b')", StandardCharsets.UTF_8);
        ByteBuf tsv = Unpooled.copiedBuffer("1\n2\n3", StandardCharsets.UTF_8);
        try {
            assertEquals(3, InsertFormat.VALUES.rowsUpperBound(values));
            assertEquals(3, InsertFormat.named("TSV").rowsUpperBound(tsv));
            assertEquals(5, InsertFormat.ROW_BINARY.rowsUpperBound(tsv));
        } finally {
            values.release();
            tsv.release();
        }
    }
}
