package io.catflap.client;

import io.catflap.client.kitten.KittenDestination;
import io.catflap.client.kitten.KittenOptions;
import io.catflap.client.persist.FsyncPolicy;
import io.catflap.client.persist.PersistOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** The per-host daemon's command line; flags keep kittenhouse's names and meanings where they exist there. */
@Command(name = "catflap-client", sortOptions = false,
        description = "Per-host proxy with kittenhouse's local API: apps POST or UDP their rows here, the daemon "
                + "buffers them (memory or disk) and ships them in batches over KITTEN to catflap aggregators (or over "
                + "HTTP to anything that speaks ClickHouse HTTP).")
public final class ClientMain implements Callable<Integer> {
    static {
        // The daemon's logging setup; the jar is also a library, so it ships no logback.xml that would bind apps.
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "io/catflap/client/daemon-logback.xml");
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(ClientMain.class);

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = {"-p", "--port"}, defaultValue = "13338",
            description = "Local API port, HTTP and UDP (default: ${DEFAULT-VALUE}, kittenhouse's).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Local API address (default: ${DEFAULT-VALUE}; kittenhouse's 0.0.0.0 lets anyone write).")
    String host;

    @Option(names = "--ch-addr", defaultValue = "127.0.0.1:8124",
            description = "HOST:PORT of the default destination when no -c file is given: a catflap aggregator, or "
                    + "anything speaking ClickHouse HTTP (default: ${DEFAULT-VALUE}).")
    String chAddr;

    @Option(names = {"-c", "--config"},
            description = "Routing file in kittenhouse's syntax ('* srv;', 'table srv;', 'table =a*50 =b*100;', "
                    + "'@target_port N;'). Re-read on SIGHUP. Default: every table to --ch-addr.")
    Path config;

    @Option(names = "--dir", defaultValue = "/tmp/catflap-client",
            description = "Directory of the persistent log (persistent=1 writes) (default: ${DEFAULT-VALUE}, like "
                    + "kittenhouse's /tmp/kittenhouse; use a directory that survives reboots in production).")
    Path dir;

    @Option(names = "--max-send-size", defaultValue = "1048576",
            description = "Largest batch sent in one insert, bytes (default: ${DEFAULT-VALUE}: the size the "
                    + "aggregator batches to, small enough to retry cheaply).")
    int maxSendSize;

    @Option(names = "--max-file-size", defaultValue = "52428800",
            description = "Persistent segment size before rotation, bytes (default: ${DEFAULT-VALUE}, kittenhouse's).")
    long maxFileSize;

    @Option(names = "--rotate-interval-sec", defaultValue = "1800",
            description = "Persistent segment age before rotation (default: ${DEFAULT-VALUE}, kittenhouse's).")
    long rotateIntervalSec;

    @Option(names = "--mark-as-done", defaultValue = "false",
            description = "Rename delivered segments to *.done instead of deleting them (for audits; needs cleanup).")
    boolean markAsDone;

    @Option(names = "--fsync", defaultValue = "interval",
            description = "When persistent rows reach the disk: always (before the 200; nothing acked is lost on power "
                    + "loss), interval (every --fsync-interval-ms; a power loss costs up to that), never (kittenhouse; "
                    + "a power loss costs what the page cache held). A process crash loses nothing acked under any. "
                    + "Default: ${DEFAULT-VALUE}.")
    String fsync;

    @Option(names = "--fsync-interval-ms", defaultValue = "100",
            description = "Group-commit period of --fsync=interval (default: ${DEFAULT-VALUE}).")
    long fsyncIntervalMs;

    @Option(names = "--buffer-bytes", defaultValue = "16777216",
            description = "Memory cap per table and format; writes past it are refused with an error and counted "
                    + "(default: ${DEFAULT-VALUE}, kittenhouse's 16 MiB).")
    long bufferBytes;

    @Option(names = "--max-memory-bytes", defaultValue = "134217728",
            description = "Memory cap for all tables' buffers together; writes past it are refused with an error and "
                    + "counted, so an outage over many busy tables cannot exhaust the heap (default: ${DEFAULT-VALUE}, "
                    + "128 MiB: half the -Xmx256m that bin/quickstart and deploy/ give the daemon, leaving room for "
                    + "the per-write overhead that the cap does not count, the batches being sent and the requests "
                    + "being read). Raise it with -Xmx.")
    long maxMemoryBytes;

    @Option(names = "--admin", defaultValue = "127.0.0.1:13339",
            description = "HOST:PORT for /metrics (Prometheus), /status (JSON) and /health; 'off' for none "
                    + "(default: ${DEFAULT-VALUE}).")
    String admin;

    @Option(names = "--token",
            description = "Bearer token sent in the KITTEN handshake, for aggregators that require one. Visible in the "
                    + "process list: prefer --token-file.")
    String token;

    @Option(names = "--token-file",
            description = "File whose first line is the bearer token (overrides --token).")
    Path tokenFile;

    @Option(names = "--lz4", defaultValue = "false",
            description = "Compress KITTEN bodies with LZ4 (catflap aggregators only: kittenhouse servers reject it). "
                    + "Saves network at a little CPU.")
    boolean lz4;

    @Option(names = "--aggregator-tls", defaultValue = "false",
            description = "Speak TLS to every destination: KITTEN, the ClickHouse HTTP fallback, health checks and "
                    + "forwarded queries (catflap aggregators with --tls-cert, or ClickHouse's https_port). Default: "
                    + "plaintext, which every kittenhouse server speaks.")
    boolean aggregatorTls;

    @Option(names = "--tls-ca",
            description = "With --aggregator-tls: CA certificates (PEM) that a destination's certificate, for the name "
                    + "it is reached by, must be signed by (default: the JVM's trust store).")
    Path tlsCa;

    @Option(names = "--tls-cert",
            description = "With --aggregator-tls: a client certificate (PEM) for aggregators that ask who connects "
                    + "(their --tls-client-ca), with --tls-key. Default: none.")
    Path tlsCert;

    @Option(names = "--tls-key",
            description = "Private key of --tls-cert (unencrypted PKCS#8 PEM; 'openssl pkcs8 -topk8 -nocrypt' converts "
                    + "others).")
    Path tlsKey;

    @Option(names = "--health-check-sec", defaultValue = "30",
            description = "A destination taken out after an I/O error is probed with SELECT 42 every this many seconds "
                    + "plus up to as much jitter (default: ${DEFAULT-VALUE}, kittenhouse's 30-60 s).")
    long healthCheckSec;

    @Option(names = "--kitten-recheck-sec", defaultValue = "3600",
            description = "A destination that did not speak KITTEN is used over HTTP and probed again after this "
                    + "(default: ${DEFAULT-VALUE}, kittenhouse's hour).")
    long kittenRecheckSec;

    @Override
    public Integer call() throws Exception {
        DaemonConfig cfg = new DaemonConfig(host, port, chAddr, config, dir,
                new PersistOptions(maxFileSize, Duration.ofSeconds(rotateIntervalSec), FsyncPolicy.parse(fsync),
                        markAsDone, maxSendSize, Duration.ofMillis(fsyncIntervalMs)),
                admin.equals("off") ? null : resolved(admin),
                kittenOptions(),
                bufferBytes, maxMemoryBytes, Duration.ofSeconds(healthCheckSec), Duration.ofSeconds(kittenRecheckSec));
        ClientDaemon daemon = new ClientDaemon(cfg);
        Signal.handle(new Signal("HUP"), sig -> {
            LOG.info("SIGHUP: reloading the routing config");
            daemon.reload();
        });
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                daemon.close();
            } catch (Exception e) {
                LOG.error("error during shutdown", e);
            } finally {
                stopped.countDown();
            }
        }, "catflap-shutdown"));
        stopped.await();
        return 0;
    }

    private KittenOptions kittenOptions() throws IOException {
        KittenOptions kitten = KittenOptions.defaults().withBearerToken(bearerToken()).withLz4(lz4);
        if (aggregatorTls) {
            return kitten.withTls(KittenOptions.tls(tlsCa, tlsCert, tlsKey));
        }
        if (tlsCa != null || tlsCert != null || tlsKey != null) {
            throw new IllegalArgumentException("--tls-ca, --tls-cert and --tls-key go with --aggregator-tls");
        }
        return kitten;
    }

    private String bearerToken() throws IOException {
        if (tokenFile == null) {
            return token;
        }
        return Files.readAllLines(tokenFile).stream().findFirst().map(String::strip)
                .orElseThrow(() -> new IllegalArgumentException(tokenFile + " is empty"));
    }

    private static InetSocketAddress resolved(String hostPort) {
        InetSocketAddress a = KittenDestination.socketAddress(hostPort);
        return new InetSocketAddress(a.getHostString(), a.getPort());
    }

    public static void main(String[] args) {
        int code = new CommandLine(new ClientMain()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }
}
