package io.catflap.aggregator.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.FakeClickHouse;
import io.catflap.aggregator.FakeClickHouse.Answer;
import io.catflap.aggregator.batch.ActiveParts;
import io.catflap.aggregator.batch.Batch;
import io.catflap.aggregator.batch.BatchKey;
import io.catflap.aggregator.batch.BatchMemory;
import io.catflap.aggregator.batch.BatchWriter;
import io.catflap.aggregator.batch.Batcher;
import io.catflap.aggregator.batch.InsertFormat;
import io.catflap.aggregator.batch.InsertResult;
import io.catflap.aggregator.batch.RowBinaryLayouts;
import io.catflap.aggregator.batch.TrackedTables;
import io.catflap.aggregator.select.Waits;
import io.catflap.protocol.TableSpec;
import io.catflap.testkit.ClickHouseServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Splitting and answering against the real ClickHouse; retrying against a scripted upstream that injects the
 * transient faults.
 */
class UpstreamInsertTest {
    private static final BatchKey KEY = BatchKey.of(TableSpec.parse("db.t(a)"), InsertFormat.VALUES);
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Map<Integer, InsertResult> answers = new ConcurrentHashMap<>();
    private final BatchMemory memory = new BatchMemory(1 << 20);
    private FakeClickHouse upstream;
    private UpstreamPool pool;
    /** Where the version is asked for; null: the upstream inserted into. */
    private URI probeAt;

    @AfterEach
    void tearDown() {
        if (pool != null) {
            pool.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Sends one batch of {@code rows} requests ("(i)" each, or "(bad)" for i = bad) and waits for every answer. */
    private void insert(Function<String, Answer> script, int rows, int bad, long deadlineMillis)
            throws Exception {
        upstream = new FakeClickHouse(r -> script.apply(r.body()));
        insert(upstream.url(), KEY, i -> i == bad ? "(bad)" : "(" + i + ")", rows, deadlineMillis);
    }

    /**
     * Sends one batch of {@code rows} requests, request i with body {@code body.apply(i)}; waits for every answer.
     * They gather in one batch behind a first request of the key that is held in flight, never inserted.
     */
    private void insert(URI clickhouse, BatchKey key, IntFunction<String> body, int rows, long deadlineMillis)
            throws Exception {
        pool = new UpstreamPool("insert", clickhouse, null, 4, group, registry);
        UpstreamExchange http = new UpstreamExchange(pool, clickhouse, 5_000);
        UpstreamExchange probe = probeAt == null ? http
                : new UpstreamExchange(new UpstreamPool("probe", probeAt, null, 1, group, registry), probeAt, 5_000);
        UpstreamInsert inserts = new UpstreamInsert(http, new ServerVersionProbe(probe, null, null),
                new TableEngines(http, null, null), null, null, deadlineMillis, group, registry,
                // splits unpaced: their pacing has tests of its own (SplitBudgetTest, SplitStormTest)
                new TrackedTables(10, registry), new SplitBudget(1000, System::nanoTime));
        AtomicReference<Batch> held = new AtomicReference<>();
        BatchWriter holdingTheFirst = (batch, done) -> {
            if (!held.compareAndSet(null, batch)) {
                inserts.write(batch, done);
            }
        };
        Batcher batcher = new Batcher(1 << 20, 60_000, 25, ActiveParts.NONE, 10, ByteBufAllocator.DEFAULT,
                group.next(), memory, holdingTheFirst, RowBinaryLayouts.NONE, registry,
                new TrackedTables(10, registry));
        ByteBuf first = Unpooled.copiedBuffer(body.apply(0), StandardCharsets.UTF_8);
        batcher.submit(key, first, r -> { });
        first.release();
        for (int i = 0; i < rows; i++) {
            int n = i;
            ByteBuf b = Unpooled.copiedBuffer(body.apply(i), StandardCharsets.UTF_8);
            batcher.submit(key, b, r -> answers.put(n, r));
            b.release();
        }
        batcher.close();
        Waits.until("every request answered", () -> answers.size() == rows);
        held.get().answer(0, 1, InsertResult.OK);
        Waits.until("the batch is released", () -> memory.held() == 0);
    }

    private double count(String name) {
        var c = registry.find(name).counter();
        return c == null ? 0 : c.count();
    }

    /** ClickHouse's own errors for a bad row in VALUES and in TSV: only the request holding it gets one. */
    @ParameterizedTest
    @ValueSource(strings = {"Values", "TSV"})
    void aBadRowIsIsolatedBySplitting(String format) throws Exception {
        ClickHouseServer ch = ClickHouseServer.shared();
        String table = ch.createTable("split", "a UInt32");
        BatchKey key = BatchKey.of(TableSpec.parse(table + "(a)"), InsertFormat.named(format));
        boolean values = format.equals("Values");
        IntFunction<String> row = i -> values ? "(" + i + ")" : i + "\n";
        insert(ch.httpUrl(), key, i -> i == 11 ? row.apply(i).replace(String.valueOf(i), "'bad'") : row.apply(i),
                16, 10_000);
        for (int i = 0; i < 16; i++) {
            if (i != 11) {
                assertEquals(InsertResult.OK, answers.get(i), "request " + i);
            }
        }
        assertTrue(answers.get(11).status() >= 400, answers.get(11).toString());
        assertTrue(answers.get(11).message().startsWith("Code: "), answers.get(11).message());
        // 16 → 8 → 4 → 2 → 1 along the bad path: 4 splits, 1 + 2 * 4 inserts
        assertEquals(4, count("catflap.batch.splits"));
        assertEquals(9, ch.insertQueryCount(table));
        assertEquals(15, ch.count(table), "every good row committed");
        assertEquals(15, Long.parseLong(ch.query("SELECT uniqExact(a) FROM " + table + " FORMAT TSV").strip()),
                "and once");
    }

    @Test
    void transientErrorsAreRetried() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        insert(body -> switch (calls.incrementAndGet()) {
            case 1 -> Answer.error(500, "Code: 252, e.displayText() = DB::Exception: Too many parts");
            case 2 -> Answer.error(500, "Code: 210, e.displayText() = DB::NetException: Connection reset by peer");
            case 3 -> Answer.error(503, "overloaded");
            default -> Answer.ok(0);
        }, 5, -1, 30_000);
        answers.values().forEach(r -> assertEquals(InsertResult.OK, r));
        assertEquals(3, count("catflap.insert.retries"));
        assertEquals(0, count("catflap.batch.splits"));
        assertEquals(1, upstream.committed().size());
    }

    /** A reset after the whole body went out may follow a commit: a MergeTree would keep the rows twice. */
    @Test
    void anUnansweredInsertIntoMergeTreeIsAnUnknownOutcomeNotRetried() throws Exception {
        upstream = new FakeClickHouse(r -> Answer.connectionReset());
        insert(upstream.url(), KEY, i -> "(" + i + ")", 5, 30_000);
        answers.values().forEach(r -> {
            assertEquals(504, r.status());
            assertTrue(r.message().startsWith(UpstreamReply.OUTCOME_UNKNOWN), r.message());
        });
        assertEquals(1, upstream.received().size(), "never sent again");
        assertEquals(1, count("catflap.inserts.ambiguous"));
        assertEquals(0, count("catflap.insert.retries"));
    }

    /** A replicated table drops a block it already has, so the same bytes may go again. */
    @Test
    void anUnansweredInsertIntoAReplicatedTableIsRetried() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        upstream = new FakeClickHouse(r -> calls.incrementAndGet() == 1 ? Answer.connectionReset() : Answer.ok(0));
        upstream.engine("ReplicatedMergeTree");
        insert(upstream.url(), KEY, i -> "(" + i + ")", 5, 30_000);
        answers.values().forEach(r -> assertEquals(InsertResult.OK, r));
        assertEquals(2, upstream.received().size());
        assertEquals(upstream.received().get(0).body(), upstream.received().get(1).body(), "the same bytes");
        assertEquals(1, count("catflap.inserts.ambiguous"));
        assertEquals(1, count("catflap.insert.retries"));
    }

    /**
     * 252 for too many partitions in one block: retrying the same batch never helps; halves by size do, down to the
     * one request whose own rows span too many partitions, which alone gets the error, as 400.
     */
    @Test
    void aBatchWithTooManyPartitionsIsSplitBySizeUntilItFits() throws Exception {
        String tooMany = "Code: 252. DB::Exception: Too many partitions for single INSERT block (more than 3). The "
                + "limit is controlled by 'max_partitions_per_insert_block' setting.";
        // one partition per row; request 5 alone holds four rows
        upstream = new FakeClickHouse(r -> r.body().chars().filter(c -> c == '(').count() > 3
                ? Answer.error(500, tooMany) : Answer.ok(0));
        insert(upstream.url(), KEY, i -> i == 5 ? "(50),(51),(52),(53)" : "(" + i + ")", 8, 30_000);
        for (int i = 0; i < 8; i++) {
            if (i != 5) {
                assertEquals(InsertResult.OK, answers.get(i), "request " + i);
            }
        }
        assertEquals(400, answers.get(5).status());
        assertEquals(252, answers.get(5).code());
        assertTrue(answers.get(5).message().startsWith(tooMany), answers.get(5).message());
        assertEquals(0, count("catflap.insert.retries"), "never retried as it is");
        assertEquals(7, upstream.committed().stream().mapToLong(b -> b.chars().filter(c -> c == '(').count()).sum(),
                "every other row committed once");
    }

    /** 252 for too many parts: the table's merges lag; the same batch goes again once they caught up. */
    @Test
    void aTableWithTooManyPartsIsWaitedFor() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        insert(body -> calls.incrementAndGet() <= 2
                ? Answer.error(500, "Code: 252, e.displayText() = DB::Exception: Too many parts (300). Merges are "
                + "processing significantly slower than inserts., e.what() = DB::Exception") : Answer.ok(0),
                6, -1, 30_000);
        answers.values().forEach(r -> assertEquals(InsertResult.OK, r));
        assertEquals(2, count("catflap.insert.retries"));
        assertEquals(0, count("catflap.batch.splits"));
        assertEquals(1, upstream.committed().size(), "one insert of the whole batch");
    }

    @Test
    void transientErrorsEndAtTheDeadline() throws Exception {
        insert(body -> Answer.error(500, "Code: 241, e.displayText() = DB::Exception: Memory limit"),
                3, -1, 500);
        answers.values().forEach(r -> {
            assertEquals(500, r.status());
            assertTrue(r.message().startsWith("Code: 241"), r.message());
        });
        assertTrue(count("catflap.insert.retries") >= 1);
    }

    @Test
    void errorsOfTheWholeKeyAreNotSplit() throws Exception {
        insert(body -> Answer.error(404, "Code: 60, e.displayText() = DB::Exception: Table db.t doesn't exist"),
                8, -1, 10_000);
        answers.values().forEach(r -> assertEquals(404, r.status()));
        assertEquals(1, upstream.received().size());
        assertEquals(0, count("catflap.batch.splits"));
    }

    @Test
    void onlySettingsTheServerKnowsAreSent() throws Exception {
        insert(body -> Answer.ok(0), 1, -1, 10_000);
        String uri = upstream.received().get(0).uri();
        assertTrue(uri.contains("input_format_values_interpret_expressions=0"), uri);
        assertFalse(uri.contains("async_insert"), "18.16 does not know async_insert: " + uri);
        assertTrue(uri.contains("INSERT+INTO+%60db%60.%60t%60+%28%60a%60%29+FORMAT+Values"), uri);
        assertFalse(uri.contains("deduce_templates"), "18.16 does not know it: " + uri);
        BatchKey askingForOff = new BatchKey(null, null, TableSpec.parse("t"), InsertFormat.VALUES, new TreeMap<>(
                Map.of("input_format_values_deduce_templates_of_expressions", "0")), null);
        assertFalse(UpstreamInsert.uri(askingForOff, Optional.of(ServerVersion.parse("18.16.1")))
                .contains("deduce_templates"), "a sender's 0 does not reach a server that refuses the name");
        String modern = UpstreamInsert.uri(KEY, Optional.of(ServerVersion.parse("24.3.1.2672")));
        assertTrue(modern.contains("async_insert=0"), modern);
        assertTrue(modern.contains("input_format_values_deduce_templates_of_expressions=0"), modern);
        assertTrue(modern.contains("input_format_values_interpret_expressions=0"), modern);
        BatchKey custom = new BatchKey(null, null, TableSpec.parse("t"), InsertFormat.named("TSVWithNames"),
                new TreeMap<>(Map.of("date_time_input_format", "best_effort")), null);
        String own = UpstreamInsert.uri(custom, Optional.of(ServerVersion.parse("24.3")));
        assertFalse(own.contains("async_insert"), "not for unmerged inserts: " + own);
        assertTrue(own.contains("date_time_input_format=best_effort"), own);
    }

    /** Under the aggregator's credentials VALUES wait for the version: the settings that stop expressions depend on it. */
    @Test
    void valuesUnderTheAggregatorsCredentialsAreNotSentWhileTheVersionIsUnknown() {
        assertEquals(null, UpstreamInsert.uri(KEY, Optional.empty()));
        BatchKey csv = BatchKey.of(TableSpec.parse("db.t"), InsertFormat.named("CSV"));
        assertTrue(UpstreamInsert.uri(csv, Optional.empty()).contains("FORMAT+CSV"));
        BatchKey own = new BatchKey("u", "p", TableSpec.parse("db.t"), InsertFormat.VALUES, new TreeMap<>(), null);
        String sendersOwn = UpstreamInsert.uri(own, Optional.empty());
        assertFalse(sendersOwn.contains("interpret_expressions"), "its sender's settings, or ClickHouse's");
    }

    /** A version probe that cannot succeed: such VALUES are retried until the deadline, never sent without them. */
    @Test
    void valuesWaitingForAVersionThatNeverComesGetAnError() throws Exception {
        probeAt = URI.create("http://127.0.0.1:1");
        insert(body -> Answer.ok(0), 2, -1, 300);
        answers.values().forEach(r -> {
            assertEquals(503, r.status(), r.toString());
            assertTrue(r.message().contains("version is not known"), r.message());
        });
        assertTrue(upstream.received().isEmpty(), "no insert was sent");
    }
}
