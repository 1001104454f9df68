package io.catflap.aggregator.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.FakeClickHouse;
import io.catflap.aggregator.FakeClickHouse.Answer;
import io.catflap.aggregator.batch.BatchKey;
import io.catflap.aggregator.batch.BatchMemory;
import io.catflap.aggregator.batch.Batcher;
import io.catflap.aggregator.batch.InsertFormat;
import io.catflap.aggregator.batch.InsertResult;
import io.catflap.aggregator.batch.RowBinaryLayouts;
import io.catflap.aggregator.batch.TrackedTables;
import io.catflap.protocol.TableSpec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Splitting, retrying and answering against a scripted upstream. */
class UpstreamInsertTest {
    private static final BatchKey KEY = BatchKey.of(TableSpec.parse("db.t(a)"), InsertFormat.VALUES);
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Map<Integer, InsertResult> answers = new ConcurrentHashMap<>();
    private final BatchMemory memory = new BatchMemory(1 << 20);
    private FakeClickHouse upstream;
    private UpstreamPool pool;

    @AfterEach
    void tearDown() {
        pool.close();
        upstream.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Sends one batch of {@code rows} requests ("(i)" each, or "(bad)" for i = bad) and waits for every answer. */
    private void insert(Function<String, Answer> script, int rows, int bad, long deadlineMillis)
            throws Exception {
        upstream = new FakeClickHouse(r -> script.apply(r.body()));
        pool = new UpstreamPool("insert", upstream.url(), 4, group, registry);
        UpstreamExchange http = new UpstreamExchange(pool, upstream.url(), 5_000);
        UpstreamInsert inserts = new UpstreamInsert(http, new ServerVersionProbe(http, null, null), null, null,
                deadlineMillis, group, registry, new TrackedTables(10, registry));
        Batcher batcher = new Batcher(1 << 20, 60_000, 10, ByteBufAllocator.DEFAULT, group.next(), memory, inserts,
                RowBinaryLayouts.NONE, registry, new TrackedTables(10, registry));
        for (int i = 0; i < rows; i++) {
            int n = i;
            ByteBuf body = Unpooled.copiedBuffer(i == bad ? "(bad)" : "(" + i + ")", StandardCharsets.UTF_8);
            batcher.submit(KEY, body, r -> answers.put(n, r));
            body.release();
        }
        batcher.close();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (answers.size() < rows && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertEquals(rows, answers.size(), "every request answered");
        long waitMemory = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (memory.held() > 0 && System.nanoTime() < waitMemory) {
            Thread.sleep(5);
        }
        assertEquals(0, memory.held(), "batch released");
    }

    private double count(String name) {
        var c = registry.find(name).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aBadRowIsIsolatedBySplitting() throws Exception {
        insert(body -> body.contains("bad") ? Answer.error(500,
                "Code: 53, e.displayText() = DB::Exception: Type mismatch in VALUES section") : Answer.ok(0),
                16, 11, 10_000);
        for (int i = 0; i < 16; i++) {
            assertEquals(i == 11 ? 500 : 200, answers.get(i).status(), "request " + i);
        }
        assertTrue(answers.get(11).message().startsWith("Code: 53"));
        // 16 → 8 → 4 → 2 → 1 along the bad path: 4 splits, 1 + 2 * 4 inserts
        assertEquals(4, count("catflap.batch.splits"));
        assertEquals(9, upstream.received().size());
        long goodRowsCommitted = upstream.committed().stream()
                .mapToLong(b -> b.chars().filter(c -> c == '(').count()).sum();
        assertEquals(15, goodRowsCommitted, "every good row committed exactly once");
    }

    @Test
    void transientErrorsAreRetried() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        insert(body -> switch (calls.incrementAndGet()) {
            case 1 -> Answer.error(500, "Code: 252, e.displayText() = DB::Exception: Too many parts");
            case 2 -> Answer.connectionReset();
            case 3 -> Answer.error(503, "overloaded");
            default -> Answer.ok(0);
        }, 5, -1, 30_000);
        answers.values().forEach(r -> assertEquals(InsertResult.OK, r));
        assertEquals(3, count("catflap.insert.retries"));
        assertEquals(0, count("catflap.batch.splits"));
        assertEquals(1, upstream.committed().size());
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
        String modern = UpstreamInsert.uri(KEY, Optional.of(ServerVersion.parse("24.3.1.2672")));
        assertTrue(modern.contains("async_insert=0"), modern);
        BatchKey custom = new BatchKey(null, null, TableSpec.parse("t"), InsertFormat.named("TSVWithNames"),
                new TreeMap<>(Map.of("date_time_input_format", "best_effort")), null);
        String own = UpstreamInsert.uri(custom, Optional.of(ServerVersion.parse("24.3")));
        assertFalse(own.contains("async_insert"), "not for unmerged inserts: " + own);
        assertTrue(own.contains("date_time_input_format=best_effort"), own);
    }
}
