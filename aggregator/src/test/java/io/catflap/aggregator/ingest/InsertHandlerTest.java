package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.batch.ActiveParts;
import io.catflap.aggregator.batch.Batch;
import io.catflap.aggregator.batch.BatchKey;
import io.catflap.aggregator.batch.BatchMemory;
import io.catflap.aggregator.batch.Batcher;
import io.catflap.aggregator.batch.InsertFormat;
import io.catflap.aggregator.batch.InsertResult;
import io.catflap.aggregator.batch.RowBinaryLayouts;
import io.catflap.aggregator.batch.TableBatch;
import io.catflap.aggregator.batch.TrackedTables;
import io.catflap.protocol.Kitten;
import io.catflap.protocol.RequestFrame;
import io.catflap.protocol.TableSpec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every request answered once, in the order it arrived, whether batched, refused or a repeat. */
class InsertHandlerTest {
    private static final BatchKey KEY = BatchKey.of(TableSpec.parse("db.t(a)"), InsertFormat.VALUES);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final EmbeddedChannel clock = new EmbeddedChannel();
    private final List<Batch> written = new CopyOnWriteArrayList<>();
    /** How to tell the batcher that a written batch was answered. */
    private final Map<Batch, Consumer<TableBatch.InsertError>> done = new ConcurrentHashMap<>();
    private final BatchMemory memory = new BatchMemory(1 << 20);
    private final Batcher batcher = new Batcher(1 << 10, 60_000, 25, ActiveParts.NONE, 4, ByteBufAllocator.DEFAULT,
            clock.eventLoop(), memory, this::write, RowBinaryLayouts.NONE, registry,
            new TrackedTables(10, registry));
    private final AtomicLong now = new AtomicLong();
    private final Ingest ingest = new Ingest(null, batcher, null, new BadRequests(registry), AccessPolicy.open(),
            1 << 20, 1 << 10, null, new Quarantine(30_000, now::get, registry), registry);
    private final EmbeddedChannel ch = new EmbeddedChannel(new InsertHandler(ingest, Protocol.KITTEN));

    @AfterEach
    void tearDown() {
        batcher.close();
        for (Batch b : written) {
            b.answer(0, b.parts(), InsertResult.OK);
        }
        ch.finishAndReleaseAll();
        clock.finishAndReleaseAll();
        assertEquals(0, memory.held(), "every batch buffer was released");
    }

    private void write(Batch b, Consumer<TableBatch.InsertError> whenAnswered) {
        written.add(b);
        done.put(b, whenAnswered);
    }

    /** Answers the batch written first a second after it left, and tells the batcher: its key's flush gap passed. */
    private Batch answerNext(InsertResult result) {
        clock.advanceTimeBy(1, TimeUnit.SECONDS);
        Batch b = written.remove(0);
        b.answer(0, b.parts(), result);
        done.remove(b).accept(result.ok() ? null
                : new TableBatch.InsertError(System.currentTimeMillis(), result.code(), result.message()));
        return b;
    }

    private static Insert insert(String rows, DedupWindow.Key dedupKey) {
        return insert(rows, dedupKey, ReplyForm.PLAIN);
    }

    private static Insert insert(String rows, DedupWindow.Key dedupKey, ReplyForm form) {
        return new Insert(KEY, Unpooled.copiedBuffer(rows, StandardCharsets.UTF_8), true, false, dedupKey, form);
    }

    /** Seals the open batch and answers it. */
    private Batch commit(InsertResult result) {
        batcher.close();
        assertEquals(1, written.size(), "one batch sealed");
        Batch b = written.remove(0);
        b.answer(0, b.parts(), result);
        ch.runPendingTasks();
        return b;
    }

    private InsertResult nextAnswer() {
        InsertReply reply = assertInstanceOf(InsertReply.class, ch.readOutbound());
        return reply.result();
    }

    @Test
    void aRefusalWaitsForTheAnswerOfTheInsertBeforeIt() {
        ch.writeInbound(insert("(1)", null), new Refusal("bad_table", 400, "no such table string", false));
        ch.runPendingTasks();
        assertNull(ch.readOutbound(), "the refusal is not written ahead of the insert's answer");
        commit(InsertResult.OK);
        assertEquals(InsertResult.OK, nextAnswer());
        assertEquals(new InsertResult(400, "no such table string"), nextAnswer());
        assertTrue(ch.isOpen());
        assertEquals(1.0, registry.get("catflap.bad_requests").tag("reason", "bad_table").counter().count());
    }

    /** compress=1 and query_id reach the answer of their own request; a refusal is always answered plainly. */
    @Test
    void eachAnswerIsWrittenInItsRequestsForm() {
        ReplyForm compressed = new ReplyForm(true, "q-1");
        ch.writeInbound(insert("(1)", null, compressed), new Refusal("bad_table", 400, "no", false));
        commit(InsertResult.OK);
        assertEquals(compressed, assertInstanceOf(InsertReply.class, ch.readOutbound()).form());
        assertEquals(ReplyForm.PLAIN, assertInstanceOf(InsertReply.class, ch.readOutbound()).form());
    }

    @Test
    void aClosingRefusalClosesOnceEveryAnswerBeforeItWasWritten() {
        ch.writeInbound(insert("(1)", null), new Refusal("body_too_large", 413, "too large", true));
        ch.runPendingTasks();
        assertTrue(ch.isOpen(), "the insert before it is still unanswered");
        commit(new InsertResult(500, "Code: 60. Table db.t doesn't exist"));
        assertEquals(500, nextAnswer().status());
        InsertReply last = assertInstanceOf(InsertReply.class, ch.readOutbound());
        assertEquals(413, last.result().status());
        assertTrue(last.close(), "the last answer says the connection closes");
        assertFalse(ch.isOpen());
    }

    @Test
    void aRepeatedIdempotencyKeyIsAnsweredWithoutInsertingAgain() {
        ch.attr(DedupWindow.ATTRIBUTE).set(new DedupWindow(Duration.ofMinutes(1), registry));
        RequestFrame frame = new RequestFrame(Kitten.FLAG_IDEMPOTENCY_KEY, "db.t(a)",
                new byte[Kitten.IDEMPOTENCY_KEY_BYTES], Unpooled.EMPTY_BUFFER);
        DedupWindow.Key key = DedupWindow.key(null, frame);
        ch.writeInbound(insert("(1)", key), insert("(1)", key));
        Batch b = commit(InsertResult.OK);
        assertEquals(1, b.parts(), "the repeat's rows were not added");
        assertEquals(InsertResult.OK, nextAnswer());
        assertEquals(InsertResult.OK, nextAnswer(), "the repeat gets the first request's answer");
    }

    @Test
    void theRestOfABodyWhoseInsertWasAnsweredIsDropped() {
        ch.writeInbound(new InsertBody(Unpooled.copiedBuffer("(2)", StandardCharsets.UTF_8), true));
        assertNull(ch.readInbound());
        assertNull(ch.readOutbound());
    }

    /** A connection whose rows ClickHouse refused is batched apart until its quarantine ran out. */
    @Test
    void aSenderWithRefusedRowsIsBatchedApartForAWhile() {
        ch.writeInbound(insert("(bad)", null));
        assertEquals(1, written.size(), "a request to an idle key leaves at once");
        assertEquals(KEY, answerNext(new InsertResult(400, "Code: 27. Cannot parse input", 27)).key());
        ch.runPendingTasks();
        assertEquals(400, nextAnswer().status());

        ch.writeInbound(insert("(2)", null));
        assertEquals(KEY.quarantined(), answerNext(InsertResult.OK).key(), "the same INSERT, a batch of its own");
        assertEquals(1.0, registry.get("catflap.senders.quarantined").gauge().value());

        now.addAndGet(TimeUnit.SECONDS.toNanos(30));
        ch.writeInbound(insert("(3)", null));
        assertEquals(KEY, answerNext(InsertResult.OK).key(), "the quarantine ran out");
        assertEquals(0.0, registry.get("catflap.senders.quarantined").gauge().value());
    }

    /** Other errors (the table missing, ClickHouse away) say nothing about the sender's rows. */
    @Test
    void otherErrorsDoNotQuarantine() {
        ch.writeInbound(insert("(1)", null));
        answerNext(new InsertResult(404, "Code: 60. Table db.t doesn't exist", 60));
        ch.writeInbound(insert("(2)", null));
        assertEquals(KEY, answerNext(new InsertResult(503, "ClickHouse unavailable: connection refused")).key());
        assertEquals(0.0, registry.get("catflap.senders.quarantined").gauge().value());
    }

    @Test
    void theIntakeIsCountedByProtocol() {
        ch.writeInbound(insert("(1),(2)", null), new Refusal("bad_table", 400, "no", false));
        commit(InsertResult.OK);
        assertEquals(2.0, intake("requests"));
        assertEquals(2.0, intake("rows"));
        assertEquals(7.0, intake("bytes"));
        assertEquals(1.0, intake("refused"));
        assertEquals(0.0, registry.get("catflap.intake.requests").tag("protocol", "http").counter().count());
    }

    private double intake(String what) {
        return registry.get("catflap.intake." + what).tag("protocol", "kitten").counter().count();
    }

    @Test
    void otherMessagesPassOn() {
        ch.writeInbound("a query");
        assertEquals("a query", ch.readInbound());
    }
}
