package io.catflap.aggregator.upstream;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.catflap.aggregator.batch.BatchKey;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Whether an insert whose outcome went unknown may be sent again without its rows landing twice: only into a
 * Replicated*MergeTree table, which drops a block whose hash it already has (the same bytes sent again make the
 * same blocks), unless the key turns that off with {@code insert_deduplicate=0}. Plain MergeTree keeps no such
 * hashes unless {@code non_replicated_deduplication_window} is set, and {@code insert_deduplication_token}
 * (22.1 on) only replaces the hash, so neither gives a guarantee on its own. The engine is read from
 * {@code system.tables} with the key's credentials and cached; a lookup that fails says no, and is not cached.
 */
public final class TableEngines {
    /** An ALTER or re-creation of the table is picked up within this. */
    private static final Duration EXPIRE_AFTER = Duration.ofMinutes(10);
    private static final long MAX_KEYS = 10_000;

    private final UpstreamExchange http;
    private final String user;
    private final String password;
    private final AsyncLoadingCache<BatchKey, Boolean> replicated;

    /** @param user the aggregator's own upstream credentials, for keys that carry none */
    public TableEngines(UpstreamExchange http, String user, String password) {
        this.http = http;
        this.user = user;
        this.password = password;
        this.replicated = Caffeine.newBuilder().maximumSize(MAX_KEYS).expireAfterWrite(EXPIRE_AFTER)
                .executor(Runnable::run).buildAsync((BatchKey key, Executor ignored) -> lookup(key));
    }

    /** Completes (never fails) with whether {@code key}'s inserts are dropped by ClickHouse when sent twice. */
    public CompletableFuture<Boolean> deduplicates(BatchKey key) {
        if ("0".equals(key.settings().get("insert_deduplicate"))) {
            return CompletableFuture.completedFuture(false);
        }
        return replicated.get(key).exceptionally(e -> false);
    }

    private CompletableFuture<Boolean> lookup(BatchKey key) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        String sql = "SELECT engine FROM system.tables WHERE " + TableLayouts.whereTable(key.table(), "name")
                + " FORMAT TabSeparated";
        http.post("/", key.user() != null ? key.user() : user, key.user() != null ? key.password() : password,
                Map.of(), Unpooled.copiedBuffer(sql, StandardCharsets.UTF_8)).addListener(f -> {
                    UpstreamReply r = (UpstreamReply) f.getNow();
                    if (r.ok()) {
                        result.complete(r.message().startsWith("Replicated"));
                    } else {
                        result.completeExceptionally(new IllegalStateException(r.message()));
                    }
                });
        return result;
    }
}
