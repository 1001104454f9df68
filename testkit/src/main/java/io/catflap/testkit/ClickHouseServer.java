package io.catflap.testkit;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.ServerException;
import com.clickhouse.client.api.query.QueryResponse;
import com.clickhouse.client.api.query.QuerySettings;
import com.clickhouse.data.ClickHouseFormat;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real ClickHouse server for integration tests, reached over its HTTP interface through one clickhouse-java
 * client-v2 {@link Client} per server, closed when the JVM exits.
 *
 * <p>{@link #shared()} picks, once per JVM: the server at {@code CLICKHOUSE_URL} if that variable is set; else a
 * Testcontainers container when a Docker engine answers; else the local {@code clickhouse-server} binary started in
 * a temporary directory on free ports. Servers it started are stopped when the JVM exits. When none is available
 * the calling test fails with instructions; {@code -Dcatflap.clickhouse=skip} turns every test that needs
 * ClickHouse into a skipped one instead.
 */
public final class ClickHouseServer {

    /** Environment variable naming an existing server, e.g. {@code http://user:password@host:8123}. */
    public static final String URL_ENV = "CLICKHOUSE_URL";
    /** System property; the value {@code skip} skips the tests that need ClickHouse instead of running them. */
    public static final String MODE_PROPERTY = "catflap.clickhouse";
    /** The database {@link #createTable} creates tables in. */
    public static final String TEST_DATABASE = "catflap_test";

    private static final Logger log = LoggerFactory.getLogger(ClickHouseServer.class);
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(60);

    private static ClickHouseServer shared;
    private static IllegalStateException sharedFailure;

    private final URI httpUrl;
    private final URI httpsUrl;
    private final Client client;
    private final String version;

    ClickHouseServer(URI httpUrl) {
        this(httpUrl, null);
    }

    private ClickHouseServer(URI httpUrl, URI httpsUrl) {
        this.httpUrl = httpUrl;
        this.httpsUrl = httpsUrl;
        String userInfo = httpUrl.getUserInfo() == null ? "default:" : httpUrl.getUserInfo();
        int colon = userInfo.indexOf(':');
        this.client = new Client.Builder()
                .addEndpoint(httpUrl.getScheme() + "://" + httpUrl.getHost() + ":" + httpPort())
                .setUsername(colon < 0 ? userInfo : userInfo.substring(0, colon))
                .setPassword(colon < 0 ? "" : userInfo.substring(colon + 1))
                // 18.16 answers compress=1 queries with an empty body (CLICKHOUSE.md)
                .compressServerResponse(false)
                .setConnectTimeout(10, ChronoUnit.SECONDS)
                .setSocketTimeout(QUERY_TIMEOUT.toMillis(), ChronoUnit.MILLIS)
                .build();
        stopAtExit(client);
        this.version = query("SELECT version() FORMAT TSV").strip();
    }

    /**
     * The JVM-wide server, started on first use. Fails (or, with {@code -Dcatflap.clickhouse=skip}, aborts the
     * calling test) with a message saying how to get one when none is available.
     */
    public static synchronized ClickHouseServer shared() {
        if (skipping()) {
            Assumptions.abort("tests that need ClickHouse are skipped (-D" + MODE_PROPERTY + "=skip)");
        }
        if (shared == null && sharedFailure == null) {
            try {
                shared = resolve();
                shared.execute("CREATE DATABASE IF NOT EXISTS " + TEST_DATABASE);
                log.info("ClickHouse {} at {}", shared.version, shared.httpUrl);
            } catch (RuntimeException e) {
                sharedFailure = new IllegalStateException(e.getMessage(), e);
            }
        }
        if (sharedFailure != null) {
            throw sharedFailure;
        }
        return shared;
    }

    /**
     * A server of its own that also answers HTTPS at {@link #httpsUrl()} with {@code certificate} and
     * {@code privateKey} (PEM files), for tests of TLS towards ClickHouse; stopped when the JVM exits. Started from
     * the local {@code clickhouse-server} binary only: without one the calling test is aborted (skipped).
     */
    public static ClickHouseServer withHttps(Path certificate, Path privateKey) {
        if (skipping()) {
            Assumptions.abort("tests that need ClickHouse are skipped (-D" + MODE_PROPERTY + "=skip)");
        }
        Path binary = LocalClickHouse.findBinary().orElse(null);
        Assumptions.assumeTrue(binary != null, "a ClickHouse with HTTPS needs the local clickhouse-server binary");
        LocalClickHouse local = LocalClickHouse.start(binary, new LocalClickHouse.Https(certificate, privateKey));
        stopAtExit(local);
        ClickHouseServer server = new ClickHouseServer(URI.create("http://127.0.0.1:" + local.httpPort()),
                URI.create("https://127.0.0.1:" + local.httpsPort()));
        server.execute("CREATE DATABASE IF NOT EXISTS " + TEST_DATABASE);
        return server;
    }

    /** Whether tests that need ClickHouse are skipped ({@code -Dcatflap.clickhouse=skip}). */
    static boolean skipping() {
        return "skip".equalsIgnoreCase(System.getProperty(MODE_PROPERTY, ""));
    }

    private static ClickHouseServer resolve() {
        String url = System.getenv(URL_ENV);
        if (url != null && !url.isBlank()) {
            return new ClickHouseServer(URI.create(url.strip().replaceAll("/+$", "")));
        }
        String containerFailure = "";
        if (ContainerClickHouse.dockerAvailable()) {
            try {
                ContainerClickHouse container = ContainerClickHouse.start();
                stopAtExit(container);
                return new ClickHouseServer(container.httpUrl());
            } catch (RuntimeException e) {
                containerFailure = "\nDocker is available but the ClickHouse container failed: " + e;
            }
        }
        Optional<Path> binary = LocalClickHouse.findBinary();
        if (binary.isEmpty()) {
            throw new IllegalStateException("""
                    These tests need a real ClickHouse server and none is available: %s is not set, no Docker \
                    engine answers and no clickhouse-server binary is installed (PATH, /usr/sbin). Run bin/test \
                    (it installs Debian's clickhouse-server), or install it yourself: \
                    apt-get install clickhouse-server, or point %s at a server (http://host:8123). \
                    -D%s=skip skips these tests instead.""".formatted(URL_ENV, URL_ENV, MODE_PROPERTY)
                    + containerFailure);
        }
        LocalClickHouse local = LocalClickHouse.start(binary.get());
        stopAtExit(local);
        return new ClickHouseServer(URI.create("http://127.0.0.1:" + local.httpPort()));
    }

    static void stopAtExit(AutoCloseable server) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (Exception e) {
                // the JVM is exiting; nothing left to tell
            }
        }, "clickhouse-stop"));
    }

    /** The server's HTTP interface, e.g. {@code http://127.0.0.1:41234} (with user info if it needs credentials). */
    public URI httpUrl() {
        return httpUrl;
    }

    /** The server's HTTPS interface, e.g. {@code https://127.0.0.1:41235}; null unless from {@link #withHttps}. */
    public URI httpsUrl() {
        return httpsUrl;
    }

    public String host() {
        return httpUrl.getHost();
    }

    public int httpPort() {
        return httpUrl.getPort() != -1 ? httpUrl.getPort() : "https".equals(httpUrl.getScheme()) ? 8443 : 8123;
    }

    /** The server's {@code version()}, e.g. {@code 18.16.1}. */
    public String version() {
        return version;
    }

    /**
     * Runs {@code sql} and returns the response body as text; say {@code FORMAT TSV} in the query for parseable
     * output.
     *
     * @throws IllegalStateException with ClickHouse's error text if the server answers anything but 200
     */
    public String query(String sql) {
        // TabSeparated unless the query says otherwise: client-v2's default, RowBinaryWithNamesAndTypes, is newer
        // than 18.16.
        QuerySettings settings = new QuerySettings().setFormat(ClickHouseFormat.TabSeparated);
        try (QueryResponse response = client.query(sql, settings).get()) {
            return new String(response.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during: " + sql, e);
        } catch (Exception e) {
            // Without async requests client-v2 throws on the calling thread; a failed future is unwrapped alike.
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof ServerException se) {
                throw new IllegalStateException("ClickHouse answered HTTP " + se.getTransportProtocolCode() + " to: "
                        + sql + "\n" + se.getMessage().strip(), se);
            }
            throw new IllegalStateException("ClickHouse at " + httpUrl + " failed for: " + sql, cause);
        }
    }

    /** Runs a statement that returns nothing of interest (DDL, SYSTEM ...). */
    public void execute(String sql) {
        query(sql);
    }

    /** {@code SELECT count() FROM qualifiedTable}. */
    public long count(String qualifiedTable) {
        return Long.parseLong(query("SELECT count() FROM " + qualifiedTable + " FORMAT TSV").strip());
    }

    /** {@code SELECT count() FROM qualifiedTable WHERE where}. */
    public long count(String qualifiedTable, String where) {
        return Long.parseLong(query("SELECT count() FROM " + qualifiedTable + " WHERE " + where + " FORMAT TSV")
                .strip());
    }

    /**
     * Creates a fresh MergeTree table with a unique name starting with {@code prefix} in {@value #TEST_DATABASE}.
     *
     * @param columnsDdl the column list, e.g. {@code "ts DateTime, host String, v UInt64"}
     * @return the qualified name, {@code catflap_test.<prefix>_<suffix>}
     */
    public String createTable(String prefix, String columnsDdl) {
        requireIdentifier(prefix);
        String table = TEST_DATABASE + "." + prefix + "_"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        execute("CREATE TABLE " + table + " (" + columnsDdl + ") ENGINE = MergeTree ORDER BY tuple()");
        return table;
    }

    /**
     * The number of INSERT queries into {@code qualifiedTable} the server has finished, successfully or not, as
     * recorded in {@code system.query_log}. Each query counts once, however many rows it held. Waits until the log
     * has taken in every query that already answered (up to a second or two).
     *
     * @param qualifiedTable {@code db.table} or {@code table}, identifiers plain or back-quoted
     */
    public long insertQueryCount(String qualifiedTable) {
        String[] parts = qualifiedTable.replace("`", "").split("\\.", -1);
        if (parts.length > 2) {
            throw new IllegalArgumentException("not a [db.]table name: " + qualifiedTable);
        }
        for (String part : parts) {
            requireIdentifier(part);
        }
        String table = parts[parts.length - 1];
        String database = parts.length == 2 ? "(`?" + parts[0] + "`?\\\\.)" + "?" : "(`?[A-Za-z0-9_]+`?\\\\.)?";
        String insertInto = "(?is)^\\\\s*INSERT\\\\s+INTO\\\\s+(TABLE\\\\s+)?" + database + "`?" + table
                + "`?([^A-Za-z0-9_]|$)";
        // Every query ends in exactly one record other than QueryStart. The type is a number (QueryStart = 1) on
        // old servers and an enum on new ones.
        String count = "SELECT count() FROM system.query_log WHERE toString(type) NOT IN ('QueryStart', '1')"
                + " AND match(query, '" + insertInto + "') FORMAT TSV";
        // Old servers' SYSTEM FLUSH LOGS writes only what the log thread has already taken from its queue, so
        // the count is read until it holds still for longer than the flush interval (500 ms in LocalClickHouse).
        long last = -1;
        for (int attempt = 0; attempt < 20; attempt++) {
            execute("SYSTEM FLUSH LOGS");
            long n = Long.parseLong(query(count).strip());
            if (n == last) {
                return n;
            }
            last = n;
            Pause.millis(700);
        }
        return last;
    }

    private static void requireIdentifier(String name) {
        if (!IDENTIFIER.matcher(name).matches()) {
            throw new IllegalArgumentException("not a plain identifier: " + name);
        }
    }
}
