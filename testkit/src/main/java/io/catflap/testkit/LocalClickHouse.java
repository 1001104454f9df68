package io.catflap.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A {@code clickhouse-server} process of the local installation, running in a fresh temporary directory on free
 * loopback ports with the minimal configuration in this package's {@code config.xml} / {@code users.xml}, and
 * {@code https.xml} for a server that also answers HTTPS.
 *
 * <p>The server is started through a small shell watchdog that SIGKILLs it and removes the directory once the
 * JVM that started it is gone, so a test JVM killed with SIGKILL leaves nothing behind either.
 */
final class LocalClickHouse implements AutoCloseable {

    private static final List<Path> CANDIDATES =
            List.of(Path.of("/usr/sbin/clickhouse-server"), Path.of("/usr/bin/clickhouse-server"));
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final int START_ATTEMPTS = 3;

    /** Runs the server in the background and stays as long as both it and the JVM ($3) live. */
    private static final String WATCHDOG = """
            "$1" --config-file="$2/config.xml" >"$2/log/stdout.log" 2>&1 &
            ch=$!
            while kill -0 "$3" 2>/dev/null && kill -0 "$ch" 2>/dev/null; do sleep 1; done
            if kill -0 "$ch" 2>/dev/null; then kill -9 "$ch"; wait "$ch"; rm -rf "$2"; exit 0; fi
            wait "$ch"
            """;

    private final Path dir;
    private final Process watchdog;
    private final int httpPort;
    private final int httpsPort;

    /** A certificate and its private key (PEM) for the server's HTTPS port. */
    record Https(Path certificate, Path privateKey) {
    }

    private LocalClickHouse(Path dir, Process watchdog, int httpPort, int httpsPort) {
        this.dir = dir;
        this.watchdog = watchdog;
        this.httpPort = httpPort;
        this.httpsPort = httpsPort;
    }

    /** The server binary from PATH or the Debian package's location, if installed. */
    static Optional<Path> findBinary() {
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.concat(
                        Stream.of(path.split(java.io.File.pathSeparator))
                                .filter(p -> !p.isEmpty())
                                .map(p -> Path.of(p, "clickhouse-server")),
                        CANDIDATES.stream())
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** Starts a server and waits until it answers {@code /ping}; retries on fresh ports if it does not come up. */
    static LocalClickHouse start(Path binary) {
        return start(binary, null);
    }

    /** As {@link #start(Path)}, also answering HTTPS with {@code https}'s certificate unless it is null. */
    static LocalClickHouse start(Path binary, Https https) {
        return start(binary, Path.of(System.getProperty("java.io.tmpdir")), ProcessHandle.current().pid(), https);
    }

    /**
     * As {@link #start(Path)}, with the server's directory created under {@code parent} and the server bound to
     * the life of process {@code ownerPid} instead of this JVM.
     */
    static LocalClickHouse start(Path binary, Path parent, long ownerPid) {
        return start(binary, parent, ownerPid, null);
    }

    private static LocalClickHouse start(Path binary, Path parent, long ownerPid, Https https) {
        IllegalStateException failure = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            try {
                return startOnce(binary, parent, ownerPid, https);
            } catch (IllegalStateException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        throw failure;
    }

    private static LocalClickHouse startOnce(Path binary, Path parent, long ownerPid, Https https) {
        Path dir;
        int httpPort = freePort();
        int httpsPort = https == null ? -1 : freePort();
        try {
            dir = Files.createTempDirectory(parent, "catflap-clickhouse-");
            Files.createDirectories(dir.resolve("log"));
            Files.createDirectories(dir.resolve("data"));
            Map<String, String> vars = Map.of("${DIR}", dir.toString(), "${HTTP_PORT}", Integer.toString(httpPort),
                    "${TCP_PORT}", Integer.toString(freePort()));
            writeConfig("config.xml", dir.resolve("config.xml"), vars);
            writeConfig("users.xml", dir.resolve("users.xml"), vars);
            if (https != null) {
                writeConfig("https.xml", Files.createDirectories(dir.resolve("config.d")).resolve("https.xml"),
                        Map.of("${HTTPS_PORT}", Integer.toString(httpsPort),
                                "${CERTIFICATE}", https.certificate().toAbsolutePath().toString(),
                                "${PRIVATE_KEY}", https.privateKey().toAbsolutePath().toString()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare a ClickHouse directory", e);
        }
        Process watchdog;
        try {
            watchdog = new ProcessBuilder("sh", "-c", WATCHDOG, "catflap-clickhouse",
                    binary.toString(), dir.toString(), Long.toString(ownerPid))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            deleteRecursively(dir);
            throw new UncheckedIOException("cannot start " + binary, e);
        }
        LocalClickHouse server = new LocalClickHouse(dir, watchdog, httpPort, httpsPort);
        try {
            server.awaitPing();
            return server;
        } catch (RuntimeException e) {
            String log = server.errorLog();
            server.close();
            throw new IllegalStateException(binary + " did not start on port " + httpPort + ": " + e.getMessage()
                    + (log.isEmpty() ? "" : "\n" + log), e);
        }
    }

    int httpPort() {
        return httpPort;
    }

    /** -1 unless started with {@link Https}. */
    int httpsPort() {
        return httpsPort;
    }

    Path dir() {
        return dir;
    }

    private void awaitPing() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ping = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/ping"))
                .timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!watchdog.isAlive()) {
                throw new IllegalStateException("the server exited with status " + watchdog.exitValue());
            }
            try {
                if (http.send(ping, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the server", e);
            }
            Pause.millis(50);
        }
        throw new IllegalStateException("no answer to /ping within " + START_TIMEOUT.toSeconds() + " s");
    }

    /** Whatever the server logged on stderr and in its error log; empty if nothing. */
    private String errorLog() {
        StringBuilder sb = new StringBuilder();
        for (String name : List.of("log/stdout.log", "log/server.err.log")) {
            Path file = dir.resolve(name);
            try (InputStream in = Files.newInputStream(file)) {
                String text = new String(in.readNBytes(8192), StandardCharsets.UTF_8).strip();
                if (!text.isEmpty()) {
                    sb.append(name).append(":\n").append(text).append('\n');
                }
            } catch (IOException e) {
                // the file was never written
            }
        }
        return sb.toString().strip();
    }

    /** SIGKILLs the server (a throwaway directory needs no clean shutdown) and removes its directory. */
    @Override
    public void close() {
        watchdog.descendants().forEach(ProcessHandle::destroyForcibly);
        watchdog.destroyForcibly();
        try {
            watchdog.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteRecursively(dir);
    }

    /** Writes resource {@code name} to {@code target} with each of {@code vars}' keys replaced by its value. */
    private static void writeConfig(String name, Path target, Map<String, String> vars) throws IOException {
        String text;
        try (InputStream in = LocalClickHouse.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (Map.Entry<String, String> v : vars.entrySet()) {
            text = text.replace(v.getKey(), v.getValue());
        }
        Files.writeString(target, text);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort: a temp directory
        }
    }
}
