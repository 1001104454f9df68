package io.catflap.aggregator.batch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * Entry of the batching step: routes every request to the open {@link TableBatch} of its key, or straight to the
 * writer as a batch of its own when its body cannot be merged (format, encoding) or is larger than a batch.
 *
 * <p>Keys come and go (a user's columns, settings, formats): the state of a key whose batches have been idle for
 * {@link #retireAfterNanos(long) a while} is dropped, so that the map holds only keys in use. Each table's
 * cumulative figures stay in its {@link TableTotals}, once {@link TrackedTables} gave it figures of its own, until
 * it has been idle for {@link #FORGET_TABLE_AFTER_NANOS}.
 */
public final class Batcher {
    private static final int MAX_RECENT_ERRORS = 20;
    /** ClickHouse's codes for an unknown table or database, or a caller not allowed to see it. */
    private static final Set<Integer> NO_SUCH_TABLE = Set.of(60, 81, 192, 193, 194, 497, 516);
    /** Rows of a body that could not be checked: it is inserted on its own. */
    private static final long UNCHECKED = -1;
    /** A key idle for fewer flush intervals is kept: senders that pause for a few flushes are common. */
    private static final int RETIRE_AFTER_FLUSHES = 10;
    /** ... and for less than this: re-creating a key's state for a sender that writes every second is waste. */
    private static final long MIN_RETIRE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** A table idle this long loses its series: far beyond any retry deadline, so no batch of it is in flight. */
    static final long FORGET_TABLE_AFTER_NANOS = TimeUnit.MINUTES.toNanos(15);

    private final int batchBytes;
    private final long flushIntervalNanos;
    private final long minFlushGapNanos;
    private final ActiveParts parts;
    private final int maxSealedPerTable;
    private final ByteBufAllocator alloc;
    private final EventExecutor timer;
    private final BatchMemory memory;
    private final BatchWriter writer;
    private final RowBinaryLayouts layouts;
    private final MeterRegistry registry;
    private final TrackedTables tracked;
    private final Counter malformed;
    private final ConcurrentMap<BatchKey, TableBatch> tables = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, TableTotals> totals = new ConcurrentHashMap<>();
    private final long retireAfterNanos;
    private final ScheduledFuture<?> retirer;
    private final ArrayDeque<RecentError> recentErrors = new ArrayDeque<>();
    private volatile boolean closed;

    /**
     * @param flushIntervalMillis the longest a batch stays open, and the widest flush gap ({@link SealPolicy})
     * @param minFlushGapMillis   the narrowest flush gap
     * @param parts               the tables' active parts, which widen their flush gaps
     * @param maxSealedPerTable   sealed batches of one key waiting upstream beyond which its senders are parked
     *                            ({@link #parkIfCongested})
     * @param timer               runs the batches' timers; its clock is the batches' clock
     * @param layouts             the column layouts RowBinary bodies are checked against before they are merged
     */
    public Batcher(int batchBytes, long flushIntervalMillis, long minFlushGapMillis, ActiveParts parts,
                   int maxSealedPerTable, ByteBufAllocator alloc, EventExecutor timer, BatchMemory memory,
                   BatchWriter writer, RowBinaryLayouts layouts, MeterRegistry registry, TrackedTables tracked) {
        this(batchBytes, flushIntervalMillis, minFlushGapMillis, parts, maxSealedPerTable, alloc, timer, memory,
                writer, layouts, registry, tracked, retireAfterNanos(flushIntervalMillis));
    }

    /** @param retireAfterNanos how long a key's batches must have been idle before its state is dropped */
    Batcher(int batchBytes, long flushIntervalMillis, long minFlushGapMillis, ActiveParts parts,
            int maxSealedPerTable, ByteBufAllocator alloc, EventExecutor timer, BatchMemory memory,
            BatchWriter writer, RowBinaryLayouts layouts, MeterRegistry registry, TrackedTables tracked,
            long retireAfterNanos) {
        this.retireAfterNanos = retireAfterNanos;
        this.batchBytes = batchBytes;
        this.flushIntervalNanos = TimeUnit.MILLISECONDS.toNanos(flushIntervalMillis);
        this.minFlushGapNanos = TimeUnit.MILLISECONDS.toNanos(minFlushGapMillis);
        this.parts = parts;
        this.maxSealedPerTable = maxSealedPerTable;
        this.alloc = alloc;
        this.timer = timer;
        this.memory = memory;
        this.writer = writer;
        this.layouts = layouts;
        this.registry = registry;
        this.tracked = tracked;
        this.malformed = Counter.builder("catflap.bad_requests").description("Requests rejected or cut off, by reason")
                .tag("reason", "malformed_body").register(registry);
        Gauge.builder("catflap.batch.held_bytes", memory, BatchMemory::held)
                .description("Bytes held in open, sealed and in-flight batches").baseUnit("bytes").register(registry);
        Gauge.builder("catflap.batch.keys", tables, Map::size)
                .description("Batch keys (credentials, table, columns, format, settings) with state held")
                .register(registry);
        long sweep = Math.max(1, retireAfterNanos / 2);
        this.retirer = timer.scheduleAtFixedRate(this::retireIdle, sweep, sweep, TimeUnit.NANOSECONDS);
    }

    /** How long a key's batches must have been idle before its state is dropped, by default. */
    static long retireAfterNanos(long flushIntervalMillis) {
        return Math.max(MIN_RETIRE_AFTER_NANOS, TimeUnit.MILLISECONDS.toNanos(flushIntervalMillis)
                * RETIRE_AFTER_FLUSHES);
    }

    /**
     * Hands a request's rows to batching; {@code body} is not released (merged bodies are copied, a body inserted on
     * its own is retained). {@code ack} gets exactly one answer: 400 at once, and nothing inserted, for a body that
     * does not end on a row boundary of its format.
     *
     * <p>A body is merged only when its rows were checked ({@link #checkedRows}); any other body — empty (ClickHouse
     * judges the INSERT itself), larger than a batch, of a format or columns that cannot be checked, VALUES with
     * expressions under the sender's own credentials — is inserted on its own.
     *
     * @return the rows taken (an upper bound for a body inserted on its own), or -1 when the request was answered at
     *         once and nothing was taken
     */
    public long submit(BatchKey key, ByteBuf body, Ack ack) {
        if (closed) {
            ack.complete(new InsertResult(503, "catflap is shutting down"));
            return -1;
        }
        long rows = UNCHECKED;
        if (key.mergeable() && body.isReadable() && body.readableBytes() <= batchBytes) {
            try {
                rows = checkedRows(key, body);
            } catch (MalformedBody e) {
                malformed.increment();
                if (key.format().equals(InsertFormat.ROW_BINARY)) {
                    layouts.stale(key);
                }
                ack.complete(new InsertResult(400, e.getMessage()));
                return -1;
            }
        }
        if (rows == UNCHECKED || rows > TableBatch.MAX_ROWS) {
            long bound = rows == UNCHECKED ? key.format().rowsUpperBound(body) : rows;
            TableBatch tb = table(key);
            while (!tb.takeAlone(body.readableBytes(), bound)) {
                tb = replaceRetired(key, tb);
            }
            write(Batch.single(key, body.retain(), bound, ack, memory), tb);
            return bound;
        }
        TableBatch tb = table(key);
        while (!tb.append(body, rows, ack)) {
            tb = replaceRetired(key, tb);
        }
        return rows;
    }

    /**
     * The rows of a body that ends on a row boundary of its format, or {@link #UNCHECKED} when it cannot be checked
     * (a format without a check, RowBinary whose columns' layout is not known).
     */
    private long checkedRows(BatchKey key, ByteBuf body) throws MalformedBody {
        Map<String, String> settings = key.settings();
        return switch (key.format().name()) {
            // a sender's own credentials may evaluate expressions: such a body goes alone, never merged
            case "Values" -> !key.aggregatorCredentials() && RowBoundary.valuesMayHoldExpressions(body) ? UNCHECKED
                    : RowBoundary.values(body);
            case "TabSeparated" -> RowBoundary.tabSeparated(body);
            case "CSV" -> {
                String delimiter = settings.getOrDefault("format_csv_delimiter", ",");
                yield delimiter.length() != 1 ? UNCHECKED : RowBoundary.csv(body, (byte) delimiter.charAt(0),
                        !"0".equals(settings.get("format_csv_allow_single_quotes")),
                        !"0".equals(settings.get("format_csv_allow_double_quotes")));
            }
            case "JSONEachRow" -> RowBoundary.jsonEachRow(body);
            case "RowBinary" -> {
                RowBinaryLayout layout = layouts.layout(key);
                yield layout == null ? UNCHECKED : layout.rows(body);
            }
            default -> UNCHECKED;
        };
    }

    /** Counts a request whose body was streamed upstream on its own, past batching. */
    public void streamed(BatchKey key, int bytes, long rows) {
        totals(key.tableName()).count(1, bytes, rows);
    }

    private TableBatch table(BatchKey key) {
        return tables.computeIfAbsent(key, k -> new TableBatch(k, batchBytes,
                new SealPolicy(k.tableName(), minFlushGapNanos, flushIntervalNanos, parts, timer.ticker().nanoTime()),
                alloc, timer, memory, this::write));
    }

    private TableTotals totals(String table) {
        return totals.computeIfAbsent(tracked.label(table), t -> new TableTotals(t, registry));
    }

    /** The retirer took {@code retired} meanwhile: drops it (if the retirer did not yet) for a fresh state. */
    private TableBatch replaceRetired(BatchKey key, TableBatch retired) {
        tables.remove(key, retired);
        return table(key);
    }

    /** Drops the state of keys whose batches have been idle long enough, and idle tables' figures (timer). */
    private void retireIdle() {
        long now = System.nanoTime();
        tables.forEach((key, tb) -> {
            if (tb.retireIfIdle(now, retireAfterNanos)) {
                tables.remove(key, tb);
            }
        });
        totals.forEach((table, t) -> {
            if (!table.equals(TrackedTables.OTHER) && t.idleSince(now, FORGET_TABLE_AFTER_NANOS)
                    && totals.remove(table, t)) {
                tracked.forget(table);
            }
        });
    }

    /** Keys whose state is held. */
    int size() {
        return tables.size();
    }

    /** Inserts a batch that {@code owner} counted as in flight, and tells it when and how it was answered. */
    private void write(Batch batch, TableBatch owner) {
        long sent = owner.now();
        writer.write(batch, error -> done(owner, error, owner.now() - sent));
    }

    private void done(TableBatch owner, TableBatch.InsertError errorOrNull, long latencyNanos) {
        String table = owner.key().tableName();
        if (tableExists(errorOrNull)) {
            tracked.exists(table);
        }
        TableTotals figures = totals(table);
        owner.countInto(figures);
        figures.done(errorOrNull);
        if (errorOrNull != null) {
            if (owner.key().format().equals(InsertFormat.ROW_BINARY)) {
                layouts.stale(owner.key());   // the table may have changed under the layout
            }
            synchronized (recentErrors) {
                recentErrors.addFirst(new RecentError(table, errorOrNull));
                if (recentErrors.size() > MAX_RECENT_ERRORS) {
                    recentErrors.removeLast();
                }
            }
        }
        if (owner.answered(latencyNanos) == maxSealedPerTable) {
            owner.relieved(maxSealedPerTable).forEach(Runnable::run);
        }
    }

    /**
     * True if an insert's answer shows its table exists: committed, or refused for a reason other than the table or
     * database being unknown (60, 81), the caller not being allowed to see it (192, 193, 194, 497, 516) or no answer.
     */
    private static boolean tableExists(TableBatch.InsertError errorOrNull) {
        return errorOrNull == null || errorOrNull.code() > 0 && !NO_SUCH_TABLE.contains(errorOrNull.code());
    }

    /**
     * Backpressure for one key: if more than the allowed sealed batches of {@code key} wait upstream, registers
     * {@code resume} to run (once, on any thread) when they dropped back to the limit, and returns true; the
     * caller then stops reading from the sender. Otherwise returns false and never runs {@code resume}.
     */
    public boolean parkIfCongested(BatchKey key, Runnable resume) {
        TableBatch tb = tables.get(key);
        return tb != null && tb.parkIfOver(maxSealedPerTable, resume);
    }

    /** Seals every open batch and refuses further requests with 503. */
    public void close() {
        closed = true;
        retirer.cancel(false);
        tables.values().forEach(TableBatch::flush);
    }

    /** The latest insert errors, newest first. */
    public List<RecentError> recentErrors() {
        synchronized (recentErrors) {
            return List.copyOf(recentErrors);
        }
    }

    /** An insert error and the table it happened on. */
    public record RecentError(String table, TableBatch.InsertError error) { }

    /** The keys whose state is held now. */
    public Collection<TableBatch> tables() {
        return tables.values();
    }

    /** Every tracked table, and {@link TrackedTables#OTHER} once anything was counted there, with their figures. */
    public Collection<TableTotals> totals() {
        return totals.values();
    }
}
