package io.catflap.aggregator.upstream;

import io.catflap.aggregator.batch.ActiveParts;
import io.catflap.protocol.TableSpec;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads from ClickHouse, every {@link #PERIOD}, how many active parts the fullest partition of each table holds
 * (what ClickHouse compares with parts_to_delay_insert) and the server's parts_to_delay_insert: two small queries
 * with the aggregator's own credentials, through the insert path. A query that fails (server down, no right to read
 * the system tables) keeps the last figures; a read still waiting for its answers when the next is due is skipped.
 */
public final class ActivePartsReader implements ActiveParts {
    private static final Logger log = LoggerFactory.getLogger(ActivePartsReader.class);
    /** Parts come with every insert and go with every merge: a few seconds old is recent enough to pace inserts. */
    static final Duration PERIOD = Duration.ofSeconds(5);
    /** The fullest tables: more than are near parts_to_delay_insert at once, few enough for a short reply. */
    static final int MAX_TABLES = 100;
    /** {@code database \t table \t parts \t in the current database (0|1)}, fullest first. */
    static final String PARTS_QUERY = "SELECT database, table, max(parts) AS fullest, database = currentDatabase()"
            + " FROM (SELECT database, table, count() AS parts FROM system.parts WHERE active"
            + " GROUP BY database, table, partition_id)"
            + " GROUP BY database, table ORDER BY fullest DESC LIMIT " + MAX_TABLES + " FORMAT TabSeparated";
    static final String SETTING_QUERY = "SELECT value FROM system.merge_tree_settings"
            + " WHERE name = 'parts_to_delay_insert' FORMAT TabSeparated";

    private final UpstreamExchange http;
    private final String user;
    private final String password;
    private final AtomicBoolean reading = new AtomicBoolean();
    private volatile Map<String, Integer> fullest = Map.of();
    private volatile int partsToDelayInsert = DEFAULT_PARTS_TO_DELAY_INSERT;
    private ScheduledFuture<?> task;
    private volatile boolean closed;

    /** @param user the aggregator's own upstream credentials */
    public ActivePartsReader(UpstreamExchange http, String user, String password) {
        this.http = http;
        this.user = user;
        this.password = password;
    }

    /** Reads now, then every {@link #PERIOD} on {@code timer} until {@link #close}. */
    public void start(EventExecutor timer) {
        task = timer.scheduleWithFixedDelay(this::read, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    public void close() {
        closed = true;
        if (task != null) {
            task.cancel(false);
        }
    }

    @Override
    public int fullestPartition(String table) {
        return fullest.getOrDefault(table, 0);
    }

    @Override
    public int partsToDelayInsert() {
        return partsToDelayInsert;
    }

    /** Reads both figures, one query after the other. */
    void read() {
        if (!reading.compareAndSet(false, true)) {
            return;
        }
        query(SETTING_QUERY).addListener(s -> {
            UpstreamReply setting = (UpstreamReply) s.getNow();
            if (setting.ok()) {
                partsToDelayInsert = setting(setting.message(), partsToDelayInsert);
            } else {
                log.debug("cannot read parts_to_delay_insert: {}", setting.message());
            }
            if (closed) {   // the upstream pool is closing: no second query on it
                reading.set(false);
                return;
            }
            query(PARTS_QUERY).addListener(p -> {
                UpstreamReply parts = (UpstreamReply) p.getNow();
                if (parts.ok()) {
                    fullest = fullest(parts.message());
                } else {
                    log.debug("cannot read the tables' active parts: {}", parts.message());
                }
                reading.set(false);
            });
        });
    }

    private Future<UpstreamReply> query(String sql) {
        return http.post("/", user, password, Map.of(), Unpooled.copiedBuffer(sql, StandardCharsets.UTF_8));
    }

    /** The {@link #SETTING_QUERY} reply's value, or {@code last} when the server has no such setting. */
    static int setting(String reply, int last) {
        try {
            int v = Integer.parseInt(reply);
            return v > 0 ? v : last;
        } catch (NumberFormatException e) {
            return last;
        }
    }

    /**
     * The {@link #PARTS_QUERY} reply by {@link io.catflap.aggregator.batch.BatchKey#tableName()}: a table of the
     * current database also under its bare name, as keys that name no database have it. A line cut short (the
     * reply's text is bounded) lacks its last field and is left out.
     */
    static Map<String, Integer> fullest(String reply) {
        Map<String, Integer> m = new HashMap<>();
        for (String line : reply.split("\n")) {
            String[] f = line.split("\t", -1);
            if (f.length != 4 || !f[3].equals("0") && !f[3].equals("1")) {
                continue;
            }
            try {
                int parts = Integer.parseInt(f[2]);
                String table = TableLayouts.unescape(f[1]);
                m.put(new TableSpec(TableLayouts.unescape(f[0]), table, List.of(), null).withoutShard(), parts);
                if (f[3].equals("1")) {
                    m.put(new TableSpec(null, table, List.of(), null).withoutShard(), parts);
                }
            } catch (IllegalArgumentException e) {
                // a name no batch key can have (control characters)
            }
        }
        return Map.copyOf(m);
    }
}
