package io.catflap.aggregator;

import io.catflap.aggregator.ingest.TokenTable;
import io.catflap.protocol.Kitten;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Objects;

/**
 * Everything {@link Aggregator#start} needs, with the defaults the command line documents. Fluent setters; one
 * instance configures one aggregator.
 */
public final class AggregatorConfig {
    /** kittenhouse's default batch: large enough for few inserts, small enough to be committed in one block. */
    public static final int DEFAULT_BATCH_BYTES = 1 << 20;
    /**
     * Bounds the extra latency of an ack and keeps ~5 inserts/s per table at most: MergeTree merges that
     * comfortably (parts_to_delay_insert 150), and a synchronous sender is not held back for a whole second.
     */
    public static final long DEFAULT_FLUSH_INTERVAL_MILLIS = 200;

    /** kittenhouse's server drops a connection idle for a minute; its clients expect it and reconnect. */
    public static final long DEFAULT_IDLE_TIMEOUT_MILLIS = 60_000;

    /**
     * A sender resends a request whose answer it lost (its process was killed) once it is back: seconds to minutes
     * later. Ten minutes covers a restart by a supervisor with room to spare.
     */
    public static final long DEFAULT_DEDUP_WINDOW_MILLIS = 600_000;

    /**
     * Tables with series of their own in /metrics and rows in /status: far more than one ClickHouse server holds
     * busy tables, few enough that a flood of made-up names costs kilobytes, not megabytes, per scrape.
     */
    public static final int DEFAULT_MAX_TRACKED_TABLES = 1000;

    private InetSocketAddress listen = new InetSocketAddress("127.0.0.1", 8124);
    private InetSocketAddress admin = new InetSocketAddress("127.0.0.1", 8125);
    private URI clickhouse = URI.create("http://127.0.0.1:8123");
    private String user;
    private String password;
    private int maxReaders = 50;
    private int maxInserts = 50;
    private int maxSelects = 8;
    private int batchBytes = DEFAULT_BATCH_BYTES;
    private long flushIntervalMillis = DEFAULT_FLUSH_INTERVAL_MILLIS;
    private int maxRequestBytes = Kitten.DEFAULT_MAX_BODY_BYTES;
    private long maxBatchMemory = 256L << 20;
    private long retryDeadlineMillis = 60_000;
    private long insertTimeoutMillis = 60_000;
    private long shutdownGraceMillis = 30_000;
    private long idleTimeoutMillis = DEFAULT_IDLE_TIMEOUT_MILLIS;
    private long dedupWindowMillis = DEFAULT_DEDUP_WINDOW_MILLIS;
    private TokenTable tokens = TokenTable.none();
    private int maxTrackedTables = DEFAULT_MAX_TRACKED_TABLES;

    public InetSocketAddress listen() {
        return listen;
    }

    public AggregatorConfig listen(InetSocketAddress v) {
        listen = Objects.requireNonNull(v);
        return this;
    }

    /** Null: no admin server. */
    public InetSocketAddress admin() {
        return admin;
    }

    public AggregatorConfig admin(InetSocketAddress v) {
        admin = v;
        return this;
    }

    public URI clickhouse() {
        return clickhouse;
    }

    public AggregatorConfig clickhouse(URI v) {
        clickhouse = Objects.requireNonNull(v);
        return this;
    }

    /** Upstream user for requests that bring no credentials (KITTEN); null = ClickHouse's default user. */
    public String user() {
        return user;
    }

    public AggregatorConfig user(String v) {
        user = v;
        return this;
    }

    public String password() {
        return password;
    }

    public AggregatorConfig password(String v) {
        password = v;
        return this;
    }

    public int maxReaders() {
        return maxReaders;
    }

    public AggregatorConfig maxReaders(int v) {
        maxReaders = positive(v, "maxReaders");
        return this;
    }

    public int maxInserts() {
        return maxInserts;
    }

    public AggregatorConfig maxInserts(int v) {
        maxInserts = positive(v, "maxInserts");
        return this;
    }

    public int maxTrackedTables() {
        return maxTrackedTables;
    }

    public AggregatorConfig maxTrackedTables(int v) {
        maxTrackedTables = positive(v, "maxTrackedTables");
        return this;
    }

    public int maxSelects() {
        return maxSelects;
    }

    public AggregatorConfig maxSelects(int v) {
        maxSelects = positive(v, "maxSelects");
        return this;
    }

    public int batchBytes() {
        return batchBytes;
    }

    public AggregatorConfig batchBytes(int v) {
        batchBytes = positive(v, "batchBytes");
        return this;
    }

    public long flushIntervalMillis() {
        return flushIntervalMillis;
    }

    public AggregatorConfig flushIntervalMillis(long v) {
        flushIntervalMillis = positive(v, "flushIntervalMillis");
        return this;
    }

    public int maxRequestBytes() {
        return maxRequestBytes;
    }

    public AggregatorConfig maxRequestBytes(int v) {
        maxRequestBytes = positive(v, "maxRequestBytes");
        return this;
    }

    public long maxBatchMemory() {
        return maxBatchMemory;
    }

    public AggregatorConfig maxBatchMemory(long v) {
        maxBatchMemory = positive(v, "maxBatchMemory");
        return this;
    }

    public long retryDeadlineMillis() {
        return retryDeadlineMillis;
    }

    public AggregatorConfig retryDeadlineMillis(long v) {
        retryDeadlineMillis = positive(v, "retryDeadlineMillis");
        return this;
    }

    public long insertTimeoutMillis() {
        return insertTimeoutMillis;
    }

    public AggregatorConfig insertTimeoutMillis(long v) {
        insertTimeoutMillis = positive(v, "insertTimeoutMillis");
        return this;
    }

    public long shutdownGraceMillis() {
        return shutdownGraceMillis;
    }

    public AggregatorConfig shutdownGraceMillis(long v) {
        shutdownGraceMillis = positive(v, "shutdownGraceMillis");
        return this;
    }

    /** How long a connection may stay idle between requests before it is closed. */
    public long idleTimeoutMillis() {
        return idleTimeoutMillis;
    }

    public AggregatorConfig idleTimeoutMillis(long v) {
        idleTimeoutMillis = positive(v, "idleTimeoutMillis");
        return this;
    }

    /** How long the answer to a request with an idempotency key is remembered; 0 = keys are ignored, not advertised. */
    public long dedupWindowMillis() {
        return dedupWindowMillis;
    }

    public AggregatorConfig dedupWindowMillis(long v) {
        if (v < 0) {
            throw new IllegalArgumentException("dedupWindowMillis must not be negative: " + v);
        }
        dedupWindowMillis = v;
        return this;
    }

    public TokenTable tokens() {
        return tokens;
    }

    public AggregatorConfig tokens(TokenTable v) {
        tokens = Objects.requireNonNull(v);
        return this;
    }

    private static <N extends Number> N positive(N v, String name) {
        if (v.longValue() < 1) {
            throw new IllegalArgumentException(name + " must be positive: " + v);
        }
        return v;
    }
}
