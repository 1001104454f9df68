package io.catflap.aggregator;

import io.catflap.aggregator.admin.StatusSource;
import io.catflap.aggregator.batch.BatchMemory;
import io.catflap.aggregator.batch.Batcher;
import io.catflap.aggregator.batch.TableBatch;
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
        s.put("connections", map("open", open, "reading", reading, "waiting", waiting,
                "idle", Math.max(0, open - reading - waiting), "maxReaders", gate.maxReaders()));
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

    /** One entry per table: the batches of its keys (users, columns, formats) summed up. */
    private List<Object> tables() {
        Map<String, long[]> sums = new TreeMap<>();
        Map<String, TableBatch.InsertError> errors = new HashMap<>();
        for (TableBatch t : batcher.tables()) {
            String name = t.key().tableName();
            long[] open = t.openBatch();
            long[] sum = sums.computeIfAbsent(name, k -> new long[8]);
            long[] add = {t.rowsIn(), t.bytesIn(), t.requestsIn(), open[0], open[1], 0, t.sealedPending(),
                    t.insertsDone()};
            for (int i = 0; i < sum.length; i++) {
                sum[i] += add[i];
            }
            sum[5] = Math.max(sum[5], open[2]);
            TableBatch.InsertError e = t.lastError();
            if (e != null) {
                errors.merge(name, e, (a, b) -> a.atMillis() >= b.atMillis() ? a : b);
            }
        }
        List<Object> tables = new ArrayList<>();
        sums.forEach((name, v) -> {
            TableBatch.InsertError e = errors.get(name);
            tables.add(map("table", name, "rowsIn", v[0], "bytesIn", v[1], "requestsIn", v[2],
                    "openBatchBytes", v[3], "openBatchRows", v[4], "openBatchAgeMillis", v[5],
                    "sealedBatches", v[6], "insertsDone", v[7], "lastError", e == null ? null : error(e)));
        });
        return tables;
    }

    private static Map<String, Object> error(TableBatch.InsertError e) {
        return map("at", Instant.ofEpochMilli(e.atMillis()).toString(), "code", e.code(), "message", e.message());
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
