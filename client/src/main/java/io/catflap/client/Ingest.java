package io.catflap.client;

import io.catflap.client.buffer.MemoryBuffers;
import io.catflap.client.buffer.TableBuffer;
import io.catflap.client.buffer.ValuesRows;
import io.catflap.client.persist.PersistentLog;
import io.catflap.client.route.Router;
import io.catflap.protocol.TableSpec;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Where every write from an app (HTTP or UDP) goes: the memory buffers (default), the persistent log
 * ({@code persistent=1}) or straight to a destination ({@code debug=1}, answered after the destination's ack).
 */
public final class Ingest {
    /** kittenhouse's answer when a table's memory buffer is full. */
    public static final String OVERFLOW_MESSAGE = "Writing too fast: buffer overflow";
    /** The same answer when all memory buffers together are full, naming that cap (apps matching the text still do). */
    public static final String MEMORY_OVERFLOW_MESSAGE = OVERFLOW_MESSAGE
            + " (all tables together reached --max-memory-bytes)";
    private static final int MAX_REMEMBERED_TABLES = 10_000;

    private final MemoryBuffers memory;
    private final PersistentLog persistent;
    private final Router router;
    private final Executor logWriters;
    private final ClientMetrics metrics;
    /** Table strings already validated: a host writes to few tables, and parsing each single-row write is waste. */
    private final Set<String> validTables = ConcurrentHashMap.newKeySet();

    /** Thrown (in the future) when the write was refused: the table's memory buffer, or all of them, are full. */
    public static final class OverflowException extends RuntimeException {
        OverflowException(String message) {
            super(message);
        }
    }

    public Ingest(MemoryBuffers memory, PersistentLog persistent, Router router, Executor logWriters, ClientMetrics metrics) {
        this.memory = memory;
        this.persistent = persistent;
        this.router = router;
        this.logWriters = logWriters;
        this.metrics = metrics;
    }

    /**
     * Where writes to {@code table} in this format and mode go, with the meters they count on; an app's connection
     * writes to the same table again and again, so a caller may keep it for the next write (see {@link #write}).
     *
     * @param via the meter tag for memory writes: {@code memory} (HTTP) or {@code udp}
     * @throws io.catflap.protocol.ProtocolException for a table spec that no destination would accept
     */
    public Table resolve(String table, boolean rowBinary, boolean persist, boolean debug, String via) {
        validate(table);
        String mode = debug ? "debug" : persist ? "persistent" : via;
        TableBuffer buffer = debug || persist ? null : memory.buffer(table, rowBinary);
        return new Table(table, rowBinary, persist, debug, buffer, metrics.received(table, mode));
    }

    /** A table string an app writes to, in one format and mode, resolved by {@link #resolve}. */
    public static final class Table {
        private final String name;
        private final boolean rowBinary;
        private final boolean persist;
        private final boolean debug;
        private final TableBuffer buffer;   // memory mode only
        private final ClientMetrics.Received received;

        private Table(String name, boolean rowBinary, boolean persist, boolean debug, TableBuffer buffer,
                      ClientMetrics.Received received) {
            this.name = name;
            this.rowBinary = rowBinary;
            this.persist = persist;
            this.debug = debug;
            this.buffer = buffer;
            this.received = received;
        }
    }

    /**
     * Accepts rows for {@code table}; the future completes when they are buffered (memory), stored per the fsync policy
     * (persistent) or committed (debug).
     */
    public CompletableFuture<Void> write(Table table, byte[] rows) {
        int rowCount = table.rowBinary ? -1 : ValuesRows.count(rows);
        if (table.debug) {
            table.received.add(rows.length, rowCount);
            return router.insert(table.name, table.rowBinary, rows);
        }
        if (table.persist) {
            table.received.add(rows.length, rowCount);
            return persistent.appendAsync(table.name, table.rowBinary, rows, logWriters);
        }
        MemoryBuffers.Offer offer = memory.write(table.buffer, rows);
        if (offer != MemoryBuffers.Offer.BUFFERED) {
            return CompletableFuture.failedFuture(new OverflowException(
                    offer == MemoryBuffers.Offer.TABLE_FULL ? OVERFLOW_MESSAGE : MEMORY_OVERFLOW_MESSAGE));
        }
        table.received.add(rows.length, rowCount);
        return CompletableFuture.completedFuture(null);
    }

    private void validate(String table) {
        if (!validTables.contains(table)) {
            TableSpec.parse(table);
            if (validTables.size() < MAX_REMEMBERED_TABLES) {
                validTables.add(table);
            }
        }
    }
}
