package io.catflap.aggregator;

import io.catflap.aggregator.admin.AdminServer;
import io.catflap.aggregator.ingest.TokenFile;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code catflap-aggregator}: the command line around {@link Aggregator}. */
@Command(name = "catflap-aggregator", mixinStandardHelpOptions = true, version = "catflap aggregator 0.1.0",
        sortOptions = false, usageHelpWidth = 110,
        description = "Takes small INSERTs over KITTEN and ClickHouse HTTP on one port, merges them per table and "
                + "writes them to ClickHouse with a bounded number of concurrent inserts. Every option can also be "
                + "set in the --config file (key = long option name without dashes). SIGHUP re-reads the files of "
                + "--tokens, --tls-cert, --tls-key, --tls-client-ca and --clickhouse-ca without dropping a "
                + "connection; SIGTERM stops gracefully.")
public final class AggregatorMain implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file whose keys are the long option "
            + "names without dashes (e.g. max-readers=100). Command-line options win over it.")
    File config;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8124",
            description = "KITTEN and ClickHouse-compatible HTTP, one port (default ${DEFAULT-VALUE}: kittenhouse's "
                    + "port next to ClickHouse's 8123, loopback until you open it on purpose).")
    String listen;

    @Option(names = "--admin", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8125",
            description = "/metrics, /health, /status (default ${DEFAULT-VALUE}); kept off the data port so it "
                    + "answers while that port is flooded. 'off' disables it.")
    String admin;

    @Option(names = "--admin-token-file", paramLabel = "FILE",
            description = "A file whose first line is the bearer token /metrics and /status then require (Prometheus: "
                    + "authorization.credentials_file; the status page: /#token=...). /health and the page itself "
                    + "stay open. Default: none, for an admin port on loopback.")
    Path adminTokenFile;

    @Option(names = "--clickhouse", paramLabel = "URL", defaultValue = "http://127.0.0.1:8123",
            description = "ClickHouse HTTP interface (default ${DEFAULT-VALUE}: the server this aggregator sits next "
                    + "to). https://HOST:PORT speaks TLS to its https_port (8443 when no port is given).")
    URI clickhouse;

    @Option(names = "--clickhouse-ca", paramLabel = "FILE",
            description = "CA certificates (PEM) that the certificate of an https --clickhouse must be signed by; it "
                    + "must name the URL's host (default: the JVM's trust store). Re-read on SIGHUP.")
    Path clickhouseCa;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "Certificate chain (PEM, the server's first) for TLS on --listen, with --tls-key: KITTEN "
                    + "and HTTP clients must then connect with TLS; a handshake gets --read-timeout. Re-read on "
                    + "SIGHUP for new connections. Default: none, plaintext (as kittenhouse).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE",
            description = "Private key of --tls-cert (unencrypted PKCS#8 PEM; 'openssl pkcs8 -topk8 -nocrypt' "
                    + "converts others). Re-read on SIGHUP.")
    Path tlsKey;

    @Option(names = "--tls-client-ca", paramLabel = "FILE",
            description = "CA certificates (PEM) that client certificates are checked against; a verified "
                    + "certificate's subject is the connection's identity. Re-read on SIGHUP. Default: none, "
                    + "clients are not asked for a certificate.")
    Path tlsClientCa;

    @Option(names = "--tls-client-auth", paramLabel = "MODE", defaultValue = AggregatorConfig.DEFAULT_TLS_CLIENT_AUTH,
            description = "With --tls-client-ca: 'require' every client to present a certificate, or make it "
                    + "'optional' (default ${DEFAULT-VALUE}: a CA given means connections are to be identified; "
                    + "'optional' admits clients without one, e.g. token holders while certificates roll out).")
    String tlsClientAuth;

    @Option(names = "--user", paramLabel = "NAME", defaultValue = "${env:CATFLAP_CLICKHOUSE_USER}",
            description = "ClickHouse user for every request that runs under the aggregator's credentials: KITTEN, "
                    + "HTTP requests without credentials of their own and, with --tokens, every request; default "
                    + "$CATFLAP_CLICKHOUSE_USER, else ClickHouse's default user. Without --tokens, HTTP clients' "
                    + "own credentials are passed through.")
    String user;

    @Option(names = "--password", paramLabel = "SECRET", defaultValue = "${env:CATFLAP_CLICKHOUSE_PASSWORD}",
            description = "Password of --user; default $CATFLAP_CLICKHOUSE_PASSWORD (prefer it: arguments are "
                    + "visible in ps).")
    String password;

    @Option(names = "--max-readers", paramLabel = "N", defaultValue = "50",
            description = "Connections read from at once (default ${DEFAULT-VALUE}, kittenhouse's figure). Others wait "
                    + "with their bytes in the kernel; memory for requests is bounded by N x --max-request-bytes.")
    int maxReaders;

    @Option(names = "--max-inserts", paramLabel = "N", defaultValue = "50",
            description = "Concurrent INSERTs upstream (default ${DEFAULT-VALUE}: kittenhouse's nginx limit; "
                    + "ClickHouse runs a thread per query, so more only adds contention). A table with more sealed "
                    + "batches than this waiting has its senders parked (not read) until it drains; other tables go "
                    + "on.")
    int maxInserts;

    @Option(names = "--max-selects", paramLabel = "N", defaultValue = "8",
            description = "Concurrent proxied SELECTs and other queries (default ${DEFAULT-VALUE}: a separate, small "
                    + "pool so that heavy reads cannot starve inserts).")
    int maxSelects;

    @Option(names = "--max-tracked-tables", paramLabel = "N",
            defaultValue = "" + AggregatorConfig.DEFAULT_MAX_TRACKED_TABLES,
            description = "Tables with series of their own in /metrics and rows in /status (default ${DEFAULT-VALUE}). "
                    + "A table earns them once ClickHouse's answer to an insert showed it exists and loses them "
                    + "after 15 minutes idle; "
                    + "every other name a sender writes is counted under table=\"_other\", so made-up names cannot "
                    + "grow the metrics.")
    int maxTrackedTables;

    @Option(names = "--batch-bytes", paramLabel = "BYTES", defaultValue = "1048576",
            description = "A table's batch is sealed at this size (default ${DEFAULT-VALUE} = 1 MiB, as kittenhouse: "
                    + "few parts per second, and far below the 1,048,576-row block that keeps an insert atomic).")
    int batchBytes;

    @Option(names = "--flush-interval", paramLabel = "DURATION",
            defaultValue = AggregatorConfig.DEFAULT_FLUSH_INTERVAL_MILLIS + "ms", converter = DurationConverter.class,
            description = "A batch is sealed at this age at the latest, and the flush gap never grows wider (default "
                    + "${DEFAULT-VALUE}: binds only while ClickHouse is slow or its parts pile up, and then still "
                    + "lets ~5 inserts/s per table through, which MergeTree merges easily).")
    Duration flushInterval;

    @Option(names = "--min-flush-gap", paramLabel = "DURATION",
            defaultValue = AggregatorConfig.DEFAULT_MIN_FLUSH_GAP_MILLIS + "ms", converter = DurationConverter.class,
            description = "A batch is sealed as soon as its table has no insert in flight and its flush gap has passed "
                    + "since its last insert was sent; the gap is at least this, and widens with the insert latency "
                    + "and as the table's active parts approach parts_to_delay_insert (default ${DEFAULT-VALUE}: at "
                    + "most 40 inserts/s per table, kittenhouse's pace; a request to an idle table is sealed at once).")
    Duration minFlushGap;

    @Option(names = "--max-request-bytes", paramLabel = "BYTES", defaultValue = "20971520",
            description = "Largest request body; larger ones get 413 (default ${DEFAULT-VALUE} = 20 MiB, kittenhouse's "
                    + "limit, so its clients never see a difference).")
    int maxRequestBytes;

    @Option(names = "--max-batch-memory", paramLabel = "BYTES", defaultValue = "268435456",
            description = "Bytes held in batches (open, sealed, in flight) above which no new request is read "
                    + "(default ${DEFAULT-VALUE} = 256 MiB: 256 full batches, five times what --max-inserts can "
                    + "have in flight, so a slow upstream turns into TCP backpressure, not heap growth).")
    long maxBatchMemory;

    @Option(names = "--retry-deadline", paramLabel = "DURATION", defaultValue = "60s",
            converter = DurationConverter.class,
            description = "How long transient upstream errors (connection refused, too many parts, memory limit, "
                    + "timeouts) are retried before senders get the error (default ${DEFAULT-VALUE}: rides out a "
                    + "ClickHouse restart; the kittenhouse client keeps and resends rows itself after that).")
    Duration retryDeadline;

    @Option(names = "--max-split-inserts", paramLabel = "N",
            defaultValue = "" + AggregatorConfig.DEFAULT_MAX_SPLIT_INSERTS,
            description = "Inserts per table and second that splitting batches with bad rows may make, to find the "
                    + "requests that hold them; further parts wait their turn, and those whose turn comes after "
                    + "--retry-deadline get 503 (default ${DEFAULT-VALUE}: a batch of hundreds of requests with one "
                    + "bad row is split apart in seconds, and a sender that keeps sending bad rows adds few parts).")
    int maxSplitInserts;

    @Option(names = "--quarantine", paramLabel = "DURATION",
            defaultValue = AggregatorConfig.DEFAULT_QUARANTINE_SECONDS + "s", converter = DurationConverter.class,
            description = "How long a sender (a KITTEN connection, an HTTP client address) whose rows ClickHouse "
                    + "refused as bad is batched apart from the others, so that good senders' batches are not split "
                    + "again and again (default ${DEFAULT-VALUE}). 0s turns it off.")
    Duration quarantine;

    @Option(names = "--insert-timeout", paramLabel = "DURATION", defaultValue = "60s",
            converter = DurationConverter.class,
            description = "Longest time an INSERT may make no progress upstream (no body bytes taken by ClickHouse, no "
                    + "answer) before it counts as failed and is retried (default ${DEFAULT-VALUE}: a 1 MiB insert "
                    + "takes milliseconds; a minute means a stuck server or sender).")
    Duration insertTimeout;

    @Option(names = "--shutdown-grace", paramLabel = "DURATION", defaultValue = "30s",
            converter = DurationConverter.class,
            description = "On SIGTERM: time to finish reading, flush every batch and answer every waiting request "
                    + "before connections are closed (default ${DEFAULT-VALUE}, under systemd's 90 s stop timeout).")
    Duration shutdownGrace;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "60s",
            converter = DurationConverter.class,
            description = "A connection idle this long between requests is closed; one reading a request, waiting "
                    + "for a read permit or for its answers, or parked by its table's backpressure never is "
                    + "(default ${DEFAULT-VALUE}, as kittenhouse's server, whose clients reconnect on their own; "
                    + "frees the sockets of hosts that vanished without closing them).")
    Duration idleTimeout;

    @Option(names = "--read-timeout", paramLabel = "DURATION", defaultValue = "20s",
            converter = DurationConverter.class,
            description = "Each phase of a request being read (HTTP head or KITTEN handshake, then body or frame) "
                    + "gets this long, plus 1 s per --min-read-rate bytes received; a sender that falls behind loses "
                    + "its read permit and its connection (HTTP: 408 first). A TLS handshake gets this long in all. "
                    + "Default ${DEFAULT-VALUE}, as Apache's mod_reqtimeout: several TCP retransmissions on a lossy "
                    + "link.")
    Duration readTimeout;

    @Option(names = "--min-read-rate", paramLabel = "BYTES", defaultValue = "500",
            description = "Bytes per second a request being read must keep up after --read-timeout (default "
                    + "${DEFAULT-VALUE}, as Apache's mod_reqtimeout: any working network sends far more, a sender "
                    + "trickling bytes to hold a read permit sends less).")
    long minReadRate;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "100000",
            description = "Open connections on the data port beyond which new ones are closed at once, counted in "
                    + "catflap_connections_refused_total (default ${DEFAULT-VALUE}: far more than one host's senders "
                    + "need; raise the file descriptor limit to match).")
    int maxConnections;

    @Option(names = "--write-buffer-bytes", paramLabel = "BYTES", defaultValue = "65536",
            description = "Answers queued for one connection beyond which it is not read until they drain to half "
                    + "(default ${DEFAULT-VALUE}, Netty's high water mark: thousands of KITTEN acks; a sender that "
                    + "reads no answers cannot make the server queue more).")
    int writeBufferBytes;

    @Option(names = "--unwritable-timeout", paramLabel = "DURATION", defaultValue = "60s",
            converter = DurationConverter.class,
            description = "A connection whose answers stay over --write-buffer-bytes this long is closed (default "
                    + "${DEFAULT-VALUE}, as --idle-timeout: a sender that reads nothing for a minute is gone).")
    Duration unwritableTimeout;

    @Option(names = "--garbage-delay", paramLabel = "DURATION", defaultValue = "1s",
            converter = DurationConverter.class,
            description = "A connection whose first bytes are neither a KITTEN handshake nor an HTTP request line "
                    + "gets its 400 after this long, unread meanwhile, and is then closed (default ${DEFAULT-VALUE}, "
                    + "as Postfix's smtpd_error_sleep_time: a host that reconnects whenever it is refused costs one "
                    + "connection per delay instead of hundreds a second; 0s answers at once).")
    Duration garbageDelay;

    @Option(names = "--dedup-window", paramLabel = "DURATION", defaultValue = "10m",
            converter = DurationConverter.class,
            description = "How long the answer to a KITTEN request with an idempotency key is remembered, so that a "
                    + "client resending it after a crash gets the answer instead of inserting the rows twice "
                    + "(default ${DEFAULT-VALUE}: a restarted client resends within seconds to minutes; at most "
                    + "500000 keys, ~80 MiB). 0s turns it off: keys are then not advertised, and resends are "
                    + "inserted again.")
    Duration dedupWindow;

    @Option(names = "--tokens", paramLabel = "FILE",
            description = "Bearer tokens, one per line: '<token> <grants>', grants being tables (db.table, db.*, *) "
                    + "to insert into, 'read' (read-only queries, run as --user with readonly=1) and "
                    + "'from=CIDR' (client addresses). When given, every request on every path needs a token "
                    + "(401 otherwise; /ping excepted) and runs as --user (default: none, as kittenhouse: the "
                    + "port is as open as ClickHouse is to --user). Re-read on SIGHUP: new KITTEN handshakes and HTTP "
                    + "requests are checked against the new tokens; open KITTEN connections keep their grant.")
    Path tokens;

    public static void main(String[] args) {
        System.exit(commandLine(args).execute(args));
    }

    /**
     * The command line; a {@code --config} file provides defaults. Defaults are resolved before options are
     * assigned, so the file name is taken from the raw arguments.
     */
    static CommandLine commandLine(String[] args) {
        CommandLine cl = new CommandLine(new AggregatorMain());
        for (int i = 0; i < args.length; i++) {
            String file = args[i].startsWith("--config=") ? args[i].substring("--config=".length())
                    : args[i].equals("--config") && i + 1 < args.length ? args[i + 1] : null;
            if (file != null) {
                cl.setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(new File(file)));
            }
        }
        return cl;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (config != null && !config.isFile()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--config: no such file: " + config);
        }
        AggregatorConfig c = new AggregatorConfig()
                .listen(address(listen))
                .admin("off".equals(admin) ? null : address(admin))
                .adminToken(adminTokenFile == null ? null : firstLine(adminTokenFile))
                .clickhouse(clickhouse)
                .clickhouseCa(clickhouseCa)
                .tls(tlsCert, tlsKey)
                .tlsClientCa(tlsClientCa)
                .tlsClientAuth(AggregatorConfig.clientAuth(tlsClientAuth))
                .user(blankToNull(user))
                .password(blankToNull(password))
                .maxReaders(maxReaders)
                .maxInserts(maxInserts)
                .maxSelects(maxSelects)
                .maxTrackedTables(maxTrackedTables)
                .batchBytes(batchBytes)
                .flushIntervalMillis(flushInterval.toMillis())
                .minFlushGapMillis(minFlushGap.toMillis())
                .maxRequestBytes(maxRequestBytes)
                .maxBatchMemory(maxBatchMemory)
                .retryDeadlineMillis(retryDeadline.toMillis())
                .maxSplitInserts(maxSplitInserts)
                .quarantineMillis(quarantine.toMillis())
                .insertTimeoutMillis(insertTimeout.toMillis())
                .shutdownGraceMillis(shutdownGrace.toMillis())
                .idleTimeoutMillis(idleTimeout.toMillis())
                .dedupWindowMillis(dedupWindow.toMillis())
                .readTimeoutMillis(readTimeout.toMillis())
                .minReadRate(minReadRate)
                .maxConnections(maxConnections)
                .writeBufferBytes(writeBufferBytes)
                .unwritableTimeoutMillis(unwritableTimeout.toMillis())
                .garbageDelayMillis(garbageDelay.toMillis())
                .tokens(tokens == null ? null : TokenFile.load(tokens));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AdminServer.bindJvmMetrics(registry);
        Aggregator aggregator = Aggregator.start(c, registry);
        Signal.handle(new Signal("HUP"), sig -> aggregator.reload());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            aggregator.close();
            stopped.countDown();
        }, "catflap-shutdown"));
        stopped.await();
        return 0;
    }

    static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            throw new CommandLine.TypeConversionException("expected HOST:PORT: " + hostPort);
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new InetSocketAddress(host, Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** The token in the first line of {@code file}; refuses an empty one, which would let anybody in. */
    private String firstLine(Path file) throws IOException {
        String token = Files.readAllLines(file, StandardCharsets.UTF_8).stream().findFirst().orElse("").strip();
        if (token.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--admin-token-file: " + file
                    + " has no token on its first line");
        }
        return token;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** Durations as {@code 200ms}, {@code 30s}, {@code 2m}, or ISO-8601 ({@code PT30S}). */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String v) {
            String s = v.strip().toLowerCase(Locale.ROOT);
            if (s.startsWith("pt")) {
                return Duration.parse(s);
            }
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            }
            long n = Long.parseLong(s.substring(0, s.length() - 1));
            return switch (s.charAt(s.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new CommandLine.TypeConversionException("expected e.g. 200ms, 30s, 2m: " + v);
            };
        }
    }
}
