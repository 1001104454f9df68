package io.catflap.aggregator;

import io.catflap.aggregator.ingest.TokenFile;
import io.catflap.protocol.Kitten;
import io.netty.handler.ssl.ClientAuth;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Everything {@link Aggregator#start} needs, with the defaults the command line documents. Fluent setters; one
 * instance configures one aggregator.
 */
public final class AggregatorConfig {
    /** kittenhouse's default batch: large enough for few inserts, small enough to be committed in one block. */
    public static final int DEFAULT_BATCH_BYTES = 1 << 20;
    /**
     * The longest a batch stays open, and the widest flush gap: binds only while ClickHouse is slow or its parts pile
     * up, and then still lets ~5 inserts/s per key through, which MergeTree merges comfortably
     * (parts_to_delay_insert 150), without holding a synchronous sender back for a whole second.
     */
    public static final long DEFAULT_FLUSH_INTERVAL_MILLIS = 200;
    /**
     * The narrowest flush gap: at most 40 inserts per key and second, kittenhouse's pace per table (it flushes every
     * 25 ms). A request that finds its key idle for longer is sealed at once, so light load does not wait for it.
     */
    public static final long DEFAULT_MIN_FLUSH_GAP_MILLIS = 25;

    /** kittenhouse's server drops a connection idle for a minute; its clients expect it and reconnect. */
    public static final long DEFAULT_IDLE_TIMEOUT_MILLIS = 60_000;

    /**
     * Apache's mod_reqtimeout defaults ({@code header=20-40,MinRate=500 body=20,MinRate=500}): 20 s covers several
     * TCP retransmissions of a head or the first segments of a body on a lossy link; after that each 500 bytes buy
     * one more second, which a host on any working network sends in milliseconds.
     */
    public static final long DEFAULT_READ_TIMEOUT_MILLIS = 20_000;
    public static final long DEFAULT_MIN_READ_RATE = 500;
    /** Far more than one host's senders need, few enough that file descriptors and socket buffers stay bounded. */
    public static final int DEFAULT_MAX_CONNECTIONS = 100_000;
    /**
     * Netty's default high water mark: room for thousands of KITTEN acks or an HTTP answer chunk, while a sender that
     * reads nothing holds at most this much of the server's memory (its kernel buffers aside).
     */
    public static final int DEFAULT_WRITE_BUFFER_BYTES = 64 << 10;
    /** As long as a connection may stay idle: a sender that reads nothing for a minute is as gone as a silent one. */
    public static final long DEFAULT_UNWRITABLE_TIMEOUT_MILLIS = 60_000;
    /**
     * As Postfix's {@code smtpd_error_sleep_time}: a host that reconnects whenever it is refused then costs one
     * connection a second, not hundreds, while a person who pointed the wrong tool at the port still reads why.
     */
    public static final long DEFAULT_GARBAGE_DELAY_MILLIS = 1_000;

    /**
     * A sender resends a request whose answer it lost (its process was killed) once it is back: seconds to minutes
     * later. Ten minutes covers a restart by a supervisor with room to spare.
     */
    public static final long DEFAULT_DEDUP_WINDOW_MILLIS = 600_000;

    /**
     * Inserts per table and second that splitting batches with bad rows may make: a batch of a few hundred requests
     * with one bad row is split apart in ~2 s, while a sender that keeps sending bad rows adds at most 4 small parts
     * a second to its table, which merges keep up with far below parts_to_delay_insert.
     */
    public static final int DEFAULT_MAX_SPLIT_INSERTS = 4;
    /**
     * How long a sender whose rows ClickHouse refused as bad is batched on its own: long enough that a sender that
     * keeps sending bad rows splits its good neighbours' batches only about twice a minute, short enough that one
     * that was fixed is merged again soon.
     */
    public static final long DEFAULT_QUARANTINE_SECONDS = 30;

    /**
     * Tables with series of their own in /metrics and rows in /status: far more than one ClickHouse server holds
     * busy tables, few enough that a flood of made-up names costs kilobytes, not megabytes, per scrape.
     */
    public static final int DEFAULT_MAX_TRACKED_TABLES = 1000;

    /**
     * Bytes that small requests being read without a read permit may hold together (each at most
     * {@code ReadGateHandler.FREE_REQUEST_BYTES}): 2,048 requests of 16 KiB, or millions of stalled one-byte ones,
     * against the 50 permits larger requests share.
     */
    public static final long DEFAULT_FREE_READ_BUDGET = 32L << 20;

    /**
     * Whether clients must present a certificate when a client CA is given: giving one means connections are to be
     * identified; {@code optional} also admits clients without one (e.g. token holders while certificates roll out).
     */
    public static final String DEFAULT_TLS_CLIENT_AUTH = "require";

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
    private long minFlushGapMillis = DEFAULT_MIN_FLUSH_GAP_MILLIS;
    private int maxRequestBytes = Kitten.DEFAULT_MAX_BODY_BYTES;
    private long maxBatchMemory = 256L << 20;
    private long retryDeadlineMillis = 60_000;
    private long insertTimeoutMillis = 60_000;
    private long shutdownGraceMillis = 30_000;
    private long idleTimeoutMillis = DEFAULT_IDLE_TIMEOUT_MILLIS;
    private long dedupWindowMillis = DEFAULT_DEDUP_WINDOW_MILLIS;
    private int maxSplitInserts = DEFAULT_MAX_SPLIT_INSERTS;
    private long quarantineMillis = TimeUnit.SECONDS.toMillis(DEFAULT_QUARANTINE_SECONDS);
    private long readTimeoutMillis = DEFAULT_READ_TIMEOUT_MILLIS;
    private long minReadRate = DEFAULT_MIN_READ_RATE;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private int writeBufferBytes = DEFAULT_WRITE_BUFFER_BYTES;
    private long unwritableTimeoutMillis = DEFAULT_UNWRITABLE_TIMEOUT_MILLIS;
    private long garbageDelayMillis = DEFAULT_GARBAGE_DELAY_MILLIS;
    private TokenFile tokens;
    private String adminToken;
    private int maxTrackedTables = DEFAULT_MAX_TRACKED_TABLES;
    private long freeReadBudget = DEFAULT_FREE_READ_BUDGET;
    private Path tlsCertificate;
    private Path tlsKey;
    private Path tlsClientCa;
    private ClientAuth tlsClientAuth = clientAuth(DEFAULT_TLS_CLIENT_AUTH);
    private Path clickhouseCa;

    public InetSocketAddress listen() {
        return listen;
    }

    public AggregatorConfig listen(InetSocketAddress v) {
        listen = Objects.requireNonNull(v);
        return this;
    }

    /** The bearer token the admin port's {@code /metrics} and {@code /status} require; null: none. */
    public String adminToken() {
        return adminToken;
    }

    public AggregatorConfig adminToken(String v) {
        adminToken = v;
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

    /** Bytes small requests read without a read permit may hold together; 0: every request needs a permit. */
    public long freeReadBudget() {
        return freeReadBudget;
    }

    public AggregatorConfig freeReadBudget(long v) {
        if (v < 0) {
            throw new IllegalArgumentException("freeReadBudget must be >= 0: " + v);
        }
        freeReadBudget = v;
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

    /** The least time between two inserts of one batch key (when the key is busy; see SealPolicy). */
    public long minFlushGapMillis() {
        return minFlushGapMillis;
    }

    public AggregatorConfig minFlushGapMillis(long v) {
        if (v < 0) {
            throw new IllegalArgumentException("minFlushGapMillis must not be negative: " + v);
        }
        minFlushGapMillis = v;
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

    /** Time each phase of a request being read (head or handshake, body or frame) gets before the rate counts. */
    public long readTimeoutMillis() {
        return readTimeoutMillis;
    }

    public AggregatorConfig readTimeoutMillis(long v) {
        readTimeoutMillis = positive(v, "readTimeoutMillis");
        return this;
    }

    /** Bytes per second a request being read must keep up after {@link #readTimeoutMillis}. */
    public long minReadRate() {
        return minReadRate;
    }

    public AggregatorConfig minReadRate(long v) {
        minReadRate = positive(v, "minReadRate");
        return this;
    }

    /** Open client connections on the data port beyond which new ones are closed at once. */
    public int maxConnections() {
        return maxConnections;
    }

    public AggregatorConfig maxConnections(int v) {
        maxConnections = positive(v, "maxConnections");
        return this;
    }

    /** Bytes of answers queued for a connection beyond which it is not read (high water mark; low is half). */
    public int writeBufferBytes() {
        return writeBufferBytes;
    }

    public AggregatorConfig writeBufferBytes(int v) {
        writeBufferBytes = positive(v, "writeBufferBytes");
        return this;
    }

    /** How long a connection may stay over {@link #writeBufferBytes} before it is closed. */
    public long unwritableTimeoutMillis() {
        return unwritableTimeoutMillis;
    }

    public AggregatorConfig unwritableTimeoutMillis(long v) {
        unwritableTimeoutMillis = positive(v, "unwritableTimeoutMillis");
        return this;
    }

    /**
     * How long a connection whose first bytes are neither a KITTEN handshake nor an HTTP request waits, not read,
     * before its 400 and its close; 0 = at once.
     */
    public long garbageDelayMillis() {
        return garbageDelayMillis;
    }

    public AggregatorConfig garbageDelayMillis(long v) {
        if (v < 0) {
            throw new IllegalArgumentException("garbageDelayMillis must not be negative: " + v);
        }
        garbageDelayMillis = v;
        return this;
    }

    /** How long the answer to a request with an idempotency key is remembered; 0 = keys are ignored, not advertised. */
    /** Inserts per table and second that the splitting of batches with bad rows may make. */
    public int maxSplitInserts() {
        return maxSplitInserts;
    }

    public AggregatorConfig maxSplitInserts(int v) {
        maxSplitInserts = positive(v, "maxSplitInserts");
        return this;
    }

    /** How long a sender whose rows were refused as bad is batched on its own; 0: never. */
    public long quarantineMillis() {
        return quarantineMillis;
    }

    public AggregatorConfig quarantineMillis(long v) {
        if (v < 0) {
            throw new IllegalArgumentException("quarantineMillis must not be negative: " + v);
        }
        quarantineMillis = v;
        return this;
    }

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

    /** The bearer tokens every request must present, or null: none (the aggregator is open, as kittenhouse's). */
    public TokenFile tokens() {
        return tokens;
    }

    public AggregatorConfig tokens(TokenFile v) {
        tokens = v;
        return this;
    }

    /** The data port's certificate chain (PEM); null: no TLS. */
    public Path tlsCertificate() {
        return tlsCertificate;
    }

    /** The private key (PKCS#8 PEM) of {@link #tlsCertificate()}. */
    public Path tlsKey() {
        return tlsKey;
    }

    /** TLS on the data port with {@code certificate} and {@code key} (PEM files), or none when both are null. */
    public AggregatorConfig tls(Path certificate, Path key) {
        if ((certificate == null) != (key == null)) {
            throw new IllegalArgumentException("a TLS certificate and its key go together: " + certificate + ", "
                    + key);
        }
        tlsCertificate = certificate;
        tlsKey = key;
        return this;
    }

    /** CA certificates (PEM) that client certificates are checked against; null: clients are not asked for one. */
    public Path tlsClientCa() {
        return tlsClientCa;
    }

    public AggregatorConfig tlsClientCa(Path v) {
        tlsClientCa = v;
        return this;
    }

    /** With {@link #tlsClientCa()}: whether a client must present a certificate or may. */
    public ClientAuth tlsClientAuth() {
        return tlsClientAuth;
    }

    public AggregatorConfig tlsClientAuth(ClientAuth v) {
        tlsClientAuth = Objects.requireNonNull(v);
        return this;
    }

    /** {@code optional} or {@code require}, as on the command line. */
    public static ClientAuth clientAuth(String mode) {
        return switch (mode.strip().toLowerCase(Locale.ROOT)) {
            case "optional" -> ClientAuth.OPTIONAL;
            case "require" -> ClientAuth.REQUIRE;
            default -> throw new IllegalArgumentException("expected 'optional' or 'require': " + mode);
        };
    }

    /** CA certificates (PEM) an https ClickHouse must be signed by; null: the JVM's trust store. */
    public Path clickhouseCa() {
        return clickhouseCa;
    }

    public AggregatorConfig clickhouseCa(Path v) {
        clickhouseCa = v;
        return this;
    }

    private static <N extends Number> N positive(N v, String name) {
        if (v.longValue() < 1) {
            throw new IllegalArgumentException(name + " must be positive: " + v);
        }
        return v;
    }
}
