package io.catflap.aggregator.upstream;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.catflap.aggregator.batch.BatchKey;
import io.catflap.aggregator.batch.RowBinaryLayout;
import io.catflap.aggregator.batch.RowBinaryLayouts;
import io.catflap.protocol.TableSpec;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RowBinary layout of each key's columns, read from ClickHouse's {@code system.columns} once per key (with the
 * key's credentials, through the insert path) and cached. A key's layout is looked up again when it is
 * {@linkplain #stale stale} (a body did not fit it, an insert failed) and every {@link #REFRESH_AFTER} anyway;
 * lookups of one key never run twice at once. Until a layout is known, or when the table's types cannot be walked
 * or read, the key's RowBinary bodies are inserted on their own.
 */
public final class TableLayouts implements RowBinaryLayouts {
    private static final Logger log = LoggerFactory.getLogger(TableLayouts.class);
    /** Picks up ALTERs that caused no error (a column added at the end of the table, say). */
    static final Duration REFRESH_AFTER = Duration.ofMinutes(1);
    private static final Duration EXPIRE_AFTER = Duration.ofMinutes(10);
    private static final long MAX_KEYS = 10_000;

    private final UpstreamExchange http;
    private final String user;
    private final String password;
    private final AsyncLoadingCache<BatchKey, Optional<RowBinaryLayout>> cache;

    /** @param user the aggregator's own upstream credentials, for keys that carry none */
    public TableLayouts(UpstreamExchange http, String user, String password) {
        this.http = http;
        this.user = user;
        this.password = password;
        this.cache = Caffeine.newBuilder().maximumSize(MAX_KEYS).refreshAfterWrite(REFRESH_AFTER)
                .expireAfterAccess(EXPIRE_AFTER).executor(Runnable::run)
                .buildAsync((BatchKey key, Executor ignored) -> lookup(key));
    }

    @Override
    public RowBinaryLayout layout(BatchKey key) {
        CompletableFuture<Optional<RowBinaryLayout>> f = cache.get(key);
        return f.isDone() && !f.isCompletedExceptionally() ? f.join().orElse(null) : null;
    }

    @Override
    public void stale(BatchKey key) {
        cache.synchronous().refresh(key);
    }

    private CompletableFuture<Optional<RowBinaryLayout>> lookup(BatchKey key) {
        CompletableFuture<Optional<RowBinaryLayout>> result = new CompletableFuture<>();
        String sql = query(key.table());
        http.post("/", key.user() != null ? key.user() : user, key.user() != null ? key.password() : password,
                Map.of(), Unpooled.copiedBuffer(sql, StandardCharsets.UTF_8)).addListener(f -> {
                    UpstreamReply r = (UpstreamReply) f.getNow();
                    Optional<RowBinaryLayout> layout = Optional.empty();
                    if (!r.ok()) {
                        log.debug("cannot read the columns of {}: {}", key.tableName(), r.message());
                    } else {
                        layout = layout(key.table(), r.message());
                        if (layout.isEmpty()) {
                            log.info("RowBinary bodies for {}{} are inserted unmerged: its column types cannot be"
                                    + " walked or were not all read", key.tableName(), key.table().columnList());
                        }
                    }
                    result.complete(layout);
                });
        return result;
    }

    /**
     * Every column of the table in table order, each line led by the number of columns, so that a reply cut short
     * is detected: {@code count \t name \t type \t default_kind}.
     */
    static String query(TableSpec table) {
        String where = whereTable(table, "table");
        return "SELECT (SELECT count() FROM system.columns WHERE " + where + "), name, type, default_kind"
                + " FROM system.columns WHERE " + where + " FORMAT TabSeparated";
    }

    /**
     * The layout of {@code table}'s columns from the {@link #query} reply: the listed columns, or without a list
     * every column an INSERT takes (not MATERIALIZED, not ALIAS). Empty if the reply is incomplete, a listed column
     * is missing or a type cannot be walked.
     */
    static Optional<RowBinaryLayout> layout(TableSpec table, String reply) {
        Map<String, String> types = new HashMap<>();
        List<String> insertable = new ArrayList<>();
        String[] lines = reply.isEmpty() ? new String[0] : reply.split("\n");
        for (String line : lines) {
            String[] f = line.split("\t", -1);   // the reply is stripped: the last empty kind may be gone
            if (f.length < 3 || f.length > 4 || !f[0].equals(Integer.toString(lines.length))) {
                return Optional.empty();   // cut short (the reply's text is bounded) or not what was asked
            }
            String name = unescape(f[1]);
            String kind = f.length == 4 ? f[3] : "";
            types.put(name, unescape(f[2]));
            if (!kind.equals("MATERIALIZED") && !kind.equals("ALIAS")) {
                insertable.add(name);
            }
        }
        List<String> names = table.columns().isEmpty() ? insertable : table.columns();
        List<String> columnTypes = new ArrayList<>(names.size());
        for (String name : names) {
            String type = types.get(name);
            if (type == null) {
                return Optional.empty();
            }
            columnTypes.add(type);
        }
        return RowBinaryLayout.of(names, columnTypes);
    }

    /** A TabSeparated field's text: {@code \t \n \\ \'} and the like back to what they stand for. */
    static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder b = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 1 < field.length()) {
                char e = field.charAt(++i);
                b.append(switch (e) {
                    case 't' -> '\t';
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    case '0' -> '\0';
                    default -> e;
                });
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** The condition for {@code table}'s rows in a system table whose column {@code nameColumn} names tables. */
    static String whereTable(TableSpec table, String nameColumn) {
        return "database = " + (table.database() == null ? "currentDatabase()" : literal(table.database()))
                + " AND " + nameColumn + " = " + literal(table.table());
    }

    /** {@code s} as a ClickHouse string literal. */
    static String literal(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
