package io.catflap.aggregator.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.protocol.TableSpec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TrackedTablesTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void tablesEarnSeriesByCommittingUpToTheCap() {
        TrackedTables tracked = new TrackedTables(2, registry);
        assertEquals(TrackedTables.OTHER, tracked.label("db.a"), "nothing committed yet");
        assertTrue(tracked.exists("db.a"));
        assertTrue(tracked.exists("db.b"));
        assertFalse(tracked.exists("db.c"), "over the cap");
        assertTrue(tracked.exists("db.a"), "still tracked");
        assertEquals("db.a", tracked.label("db.a"));
        assertEquals(TrackedTables.OTHER, tracked.label("db.c"));
        assertEquals(2, registry.get("catflap.tables.tracked").gauge().value());
    }

    @Test
    void forgettingATableRemovesItsMetersAndFreesItsPlace() {
        TrackedTables tracked = new TrackedTables(1, registry);
        tracked.exists("db.a");
        Counter.builder("catflap.x").tag("table", "db.a").register(registry).increment();
        Counter.builder("catflap.x").tag("table", TrackedTables.OTHER).register(registry).increment();
        // a writer that looked the label up just before the table was forgotten
        Counter.builder("catflap.x").tag("table", "db.stray").register(registry).increment();

        tracked.forget("db.a");

        assertNull(registry.find("catflap.x").tag("table", "db.a").counter());
        assertNull(registry.find("catflap.x").tag("table", "db.stray").counter());
        assertEquals(1, registry.get("catflap.x").tag("table", TrackedTables.OTHER).counter().count());
        assertTrue(tracked.exists("db.b"), "the place is free again");
    }

    /**
     * A table is counted under its own name once ClickHouse's answer showed it exists, from its first request on; a
     * table ClickHouse does not know is counted under {@link TrackedTables#OTHER}.
     */
    @Test
    void batcherCountsUnderTheTablesOwnNameOnlyTablesThatExist() {
        DefaultEventLoop timer = new DefaultEventLoop();
        BatchMemory memory = new BatchMemory(1 << 20);
        BatchWriter answerAtOnce = (batch, done) -> {
            boolean good = batch.key().tableName().equals("db.good");
            batch.answer(0, batch.parts(), good ? InsertResult.OK : new InsertResult(404, "no such table"));
            done.accept(good ? null : new TableBatch.InsertError(0, 60, "no such table"));   // ClickHouse's code
        };
        Batcher batcher = new Batcher(1 << 20, 60_000, 25, ActiveParts.NONE, 10, ByteBufAllocator.DEFAULT, timer,
                memory, answerAtOnce, RowBinaryLayouts.NONE, registry, new TrackedTables(10, registry));
        try {
            for (String table : new String[] {"db.good", "db.bad", "db.good", "db.bad"}) {
                BatchKey key = BatchKey.of(TableSpec.parse(table + "(a)"), InsertFormat.VALUES);
                ByteBuf body = Unpooled.copiedBuffer("(1)", StandardCharsets.US_ASCII);
                batcher.submit(key, body, r -> { });
                body.release();
                batcher.tables().forEach(TableBatch::flush);   // seal now: the writer answers at once
            }
            assertEquals(2, rows("db.good"));
            assertEquals(2, rows(TrackedTables.OTHER), "both requests to the unknown table");
            assertNull(registry.find("catflap.ingest.rows").tag("table", "db.bad").counter());
            assertEquals(0, memory.held());
        } finally {
            timer.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private double rows(String table) {
        return registry.get("catflap.ingest.rows").tag("table", table).counter().count();
    }
}
