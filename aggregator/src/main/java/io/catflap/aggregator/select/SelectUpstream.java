package io.catflap.aggregator.select;

import io.catflap.aggregator.tls.TlsContext;
import io.catflap.aggregator.upstream.QueryKiller;
import io.catflap.aggregator.upstream.UpstreamPool;
import io.catflap.aggregator.upstream.UpstreamReply;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import java.net.URI;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ClickHouse as seen by the proxied, non-INSERT traffic: the {@code select} connection pool (at most
 * {@code maxSelects} requests upstream at once, the rest wait FIFO), the killing of queries whose client left, and
 * the meters of that traffic. Shared by all {@link SelectProxyHandler}s.
 */
public final class SelectUpstream implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SelectUpstream.class);

    /** Why a proxied request ended without a complete answer; the {@code reason} tag of the failures counter. */
    enum Failure {
        /** No connection to ClickHouse could be opened. */
        UNREACHABLE,
        /** ClickHouse's connection failed or closed before the whole answer arrived. */
        UPSTREAM_CLOSED,
        /** The client went away before the whole answer was sent; its query is killed. */
        CLIENT_CLOSED
    }

    private final UpstreamPool pool;
    private final QueryKiller killer;
    private final String host;
    private final Counter requests;
    private final Counter responseBytes;
    private final Counter retries;
    private final Counter kills;
    private final MeterRegistry registry;

    /**
     * @param tls    for an https URL: whom to trust (null for http)
     * @param killer ends the queries of clients that went away
     */
    public SelectUpstream(URI clickhouse, TlsContext tls, int maxSelects, EventLoopGroup group,
                          MeterRegistry registry, QueryKiller killer) {
        this.pool = new UpstreamPool("select", clickhouse, tls, maxSelects, group, registry);
        this.killer = killer;
        this.host = clickhouse.getPort() > 0 ? clickhouse.getHost() + ":" + clickhouse.getPort() : clickhouse.getHost();
        this.registry = registry;
        this.requests = Counter.builder("catflap.select.requests")
                .description("Requests other than INSERTs proxied to ClickHouse").register(registry);
        this.responseBytes = Counter.builder("catflap.select.response.bytes").baseUnit("bytes")
                .description("Response body bytes streamed from ClickHouse to clients").register(registry);
        this.retries = Counter.builder("catflap.select.retries")
                .description("Body-less requests sent again after their upstream connection died unanswered")
                .register(registry);
        this.kills = Counter.builder("catflap.select.kills")
                .description("Queries killed because their client went away before the whole answer was sent")
                .register(registry);
    }

    /** FIFO; completes on some event loop of the group with a channel holding only the HTTP client codec. */
    Future<Channel> acquire() {
        requests.increment();
        return pool.acquire();
    }

    /** Gives back a channel; close it first unless it is ready for the next request. Idempotent. */
    void release(Channel ch) {
        pool.release(ch);
    }

    /**
     * Kills the query {@code queryId} that ran on {@code ch}, then gives {@code ch} back closed: its slot stays
     * taken until ClickHouse answered the KILL (SYNC: the query ended) or could not be asked, so that the next
     * query does not start while the abandoned one still runs.
     */
    void killAndRelease(Channel ch, String queryId) {
        kills.increment();
        ch.close();
        killer.kill(queryId).addListener(f -> {
            UpstreamReply r = (UpstreamReply) f.getNow();
            if (!r.ok()) {
                log.warn("cannot kill the query {} of a client that went away: {} {}", queryId, r.status(),
                        r.message());
            }
            release(ch);
        });
    }

    /** The {@code Host} header value for upstream requests. */
    String host() {
        return host;
    }

    void countResponseBytes(int bytes) {
        responseBytes.increment(bytes);
    }

    void countRetry() {
        retries.increment();
    }

    void countFailure(Failure failure) {
        Counter.builder("catflap.select.failures").tag("reason", failure.name().toLowerCase(Locale.ROOT))
                .description("Proxied requests that ended without a complete answer").register(registry).increment();
    }

    public int inFlight() {
        return pool.inFlight();
    }

    public int queued() {
        return pool.queued();
    }

    @Override
    public void close() {
        pool.close();
    }
}
