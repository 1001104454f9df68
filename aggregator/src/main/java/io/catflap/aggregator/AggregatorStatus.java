package io.catflap.aggregator;

import io.catflap.aggregator.admin.ErrorSummary;
import io.catflap.aggregator.admin.StatusSource;
import io.catflap.aggregator.batch.BatchMemory;
import io.catflap.aggregator.batch.Batcher;
import io.catflap.aggregator.batch.TableBatch;
import io.catflap.aggregator.batch.TableTotals;
import io.catflap.aggregator.ingest.ReadGate;
import io.catflap.aggregator.select.SelectUpstream;
import io.catflap.aggregator.upstream.UpstreamPool;
import io.netty.channel.group.ChannelGroup;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The aggregator as the admin port shows it ({@code /status}, {@code /health}). */
final class AggregatorStatus implements StatusSource {
    private final Instant startedAt = Instant.now();
    private final AggregatorConfig config;
    private final Batcher batcher;
    private final ReadGate gate;
    private final BatchMemory memory;
    private final ChannelGroup connections;
    private final UpstreamPool inserts;
    private final SelectUpstream selects;
    private volatile boolean closing;

    AggregatorStatus(AggregatorConfig config, Batcher batcher, ReadGate gate, BatchMemory memory,
                     ChannelGroup connections, UpstreamPool inserts, SelectUpstream selects) {
        this.config = config;
        this.batcher = batcher;
        this.gate = gate;
        this.memory = memory;
        this.connections = connections;
        this.inserts = inserts;
        this.selects = selects;
    }

    void closing() {
        closing = true;
    }

    @Override
    public boolean healthy() {
        return !closing;
    }

    @Override
    public Map<String, Object> snapshot() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("startedAt", startedAt.toString());
        int open = connections.size();
        int reading = gate.inUse();
        int waiting = gate.waiting();
        int parked = gate.parked();
        s.put("connections", map("open", open, "reading", reading, "waiting", waiting, "parked", parked,
                "idle", Math.max(0, open - reading - waiting - parked), "maxReaders", gate.maxReaders()));
        s.put("bytesHeld", memory.held());
        s.put("bytesHeldLimit", memory.limit());
        s.put("upstream", map(
                "inserts", map("max", config.maxInserts(), "inFlight", inserts.inFlight(), "queued", inserts.queued()),
                "selects", map("max", config.maxSelects(), "inFlight", selects.inFlight(),
                        "queued", selects.queued())));
        s.put("tables", tables());
        List<Object> recent = new ArrayList<>();
        for (Batcher.RecentError r : batcher.recentErrors()) {
            Map<String, Object> m = error(r.error());
            m.put("table", r.table());
            recent.add(m);
        }
        s.put("recentErrors", recent);
        return s;
    }

    /** One entry per table: its cumulative figures, and the batches of its keys held now summed up. */
    private List<Object> tables() {
        Map<String, long[]> batches = new HashMap<>();
        for (TableBatch t : batcher.tables()) {
            long[] open = t.openBatch();
            long[] sum = batches.computeIfAbsent(t.key().tableName(), k -> new long[5]);
            sum[0] += open[0];
            sum[1] += open[1];
            sum[2] = Math.max(sum[2], open[2]);
            sum[3] += t.sealedPending();
            sum[4] = Math.max(sum[4], t.flushGapMillis());
        }
        Map<String, TableTotals> totals = new TreeMap<>();
        batcher.totals().forEach(t -> totals.put(t.table(), t));
        List<Object> tables = new ArrayList<>();
        totals.forEach((name, t) -> {
            long[] b = batches.getOrDefault(name, new long[5]);
            TableBatch.InsertError e = t.lastError();
            tables.add(map("table", name, "rowsIn", t.rowsIn(), "bytesIn", t.bytesIn(), "requestsIn", t.requestsIn(),
                    "openBatchBytes", b[0], "openBatchRows", b[1], "openBatchAgeMillis", b[2],
                    "sealedBatches", b[3], "flushGapMillis", b[4], "insertsDone", t.insertsDone(), "lastError", e == null ? null : error(e)));
        });
        return tables;
    }

    /** An insert error without the rows or names ClickHouse quoted in it ({@link ErrorSummary}). */
    private static Map<String, Object> error(TableBatch.InsertError e) {
        return map("at", Instant.ofEpochMilli(e.atMillis()).toString(), "code", e.code(), "message",
                ErrorSummary.of(e.code(), e.message()));
    }

    /** A mutable, ordered map of alternating keys and values (values may be null). */
    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
