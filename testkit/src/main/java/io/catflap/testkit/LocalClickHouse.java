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
import java.util.stream.Stream;

/**
 * A {@code clickhouse-server} process of the local installation, running in a fresh temporary directory on free
 * loopback ports with the minimal configuration in this package's {@code config.xml} / {@code users.xml}, plus
 * files merged from {@code config.d/} ({@code https.xml} for a server that also answers HTTPS, the replica settings
 * of a {@link ClickHouseCluster}). Started through an {@link OwnedProcess}, so it dies with the JVM that started it.
 */
final class LocalClickHouse implements AutoCloseable {

    private static final List<Path> CANDIDATES =
            List.of(Path.of("/usr/sbin/clickhouse-server"), Path.of("/usr/bin/clickhouse-server"));
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final int START_ATTEMPTS = 3;

    private final Path binary;
    private final Path dir;
    private final long ownerPid;
    private final int httpPort;
    private final int httpsPort;
    private final int tcpPort;
    private OwnedProcess process;

    /** A certificate and its private key (PEM) for the server's HTTPS port. */
    record Https(Path certificate, Path privateKey) {
        Map<String, String> configD() {
            return Map.of("https.xml", resource("https.xml")
                    .replace("${CERTIFICATE}", certificate.toAbsolutePath().toString())
                    .replace("${PRIVATE_KEY}", privateKey.toAbsolutePath().toString()));
        }
    }

    private LocalClickHouse(Path binary, Path dir, long ownerPid, int httpPort, int httpsPort, int tcpPort) {
        this.binary = binary;
        this.dir = dir;
        this.ownerPid = ownerPid;
        this.httpPort = httpPort;
        this.httpsPort = httpsPort;
        this.tcpPort = tcpPort;
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
        return start(binary, Map.of());
    }

    /** As {@link #start(Path)}, also answering HTTPS with {@code https}'s certificate. */
    static LocalClickHouse start(Path binary, Https https) {
        return start(binary, https.configD());
    }

    /**
     * As {@link #start(Path)}, with extra files for {@code config.d/} (name to text); in their text
     * {@code ${HTTP_PORT}}, {@code ${HTTPS_PORT}}, {@code ${TCP_PORT}} and {@code ${INTERSERVER_PORT}} are filled in.
     */
    static LocalClickHouse start(Path binary, Map<String, String> configD) {
        return start(binary, Path.of(System.getProperty("java.io.tmpdir")), ProcessHandle.current().pid(), configD);
    }

    /**
     * As {@link #start(Path)}, with the server's directory created under {@code parent} and the server bound to
     * the life of process {@code ownerPid} instead of this JVM.
     */
    static LocalClickHouse start(Path binary, Path parent, long ownerPid) {
        return start(binary, parent, ownerPid, Map.of());
    }

    private static LocalClickHouse start(Path binary, Path parent, long ownerPid, Map<String, String> configD) {
        IllegalStateException failure = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            try {
                return startOnce(binary, parent, ownerPid, configD);
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

    private static LocalClickHouse startOnce(Path binary, Path parent, long ownerPid, Map<String, String> configD) {
        Path dir;
        int httpPort = freePort();
        int httpsPort = freePort();
        int tcpPort = freePort();
        try {
            dir = Files.createTempDirectory(parent, "catflap-clickhouse-");
            Files.createDirectories(dir.resolve("log"));
            Files.createDirectories(dir.resolve("data"));
            Files.createDirectories(dir.resolve("config.d"));
            Map<String, String> vars = Map.of("${DIR}", dir.toString(), "${HTTP_PORT}", Integer.toString(httpPort),
                    "${HTTPS_PORT}", Integer.toString(httpsPort), "${TCP_PORT}", Integer.toString(tcpPort),
                    "${INTERSERVER_PORT}", Integer.toString(freePort()));
            writeConfig(resource("config.xml"), dir.resolve("config.xml"), vars);
            writeConfig(resource("users.xml"), dir.resolve("users.xml"), vars);
            for (Map.Entry<String, String> file : configD.entrySet()) {
                writeConfig(file.getValue(), dir.resolve("config.d").resolve(file.getKey()), vars);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare a ClickHouse directory", e);
        }
        LocalClickHouse server = new LocalClickHouse(binary, dir, ownerPid, httpPort, httpsPort, tcpPort);
        try {
            server.launch();
            return server;
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** Starts the server process on this directory and waits for {@code /ping}. */
    private void launch() {
        process = OwnedProcess.start(List.of(binary.toString(), "--config-file=" + dir.resolve("config.xml")),
                dir, dir.resolve("log/stdout.log"), ownerPid);
        try {
            awaitPing();
        } catch (RuntimeException e) {
            String log = errorLog();
            process.kill();
            throw new IllegalStateException(binary + " did not start on port " + httpPort + ": " + e.getMessage()
                    + (log.isEmpty() ? "" : "\n" + log), e);
        }
    }

    /** SIGKILLs the server, as a crash of its host would; its directory (data, configuration) stays. */
    void kill() {
        process.kill();
    }

    /** Starts the server again after {@link #kill()}, on the same directory and ports. */
    void restart() {
        launch();
    }

    int httpPort() {
        return httpPort;
    }

    /** Answers only with an {@link Https} configuration. */
    int httpsPort() {
        return httpsPort;
    }

    /** The native protocol port (replicas and Distributed tables talk over it). */
    int tcpPort() {
        return tcpPort;
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
            if (!process.isAlive()) {
                throw new IllegalStateException("the server exited with status " + process.exitValue());
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
        if (process != null) {
            process.kill();
        }
        deleteRecursively(dir);
    }

    /** Writes {@code template} to {@code target} with each of {@code vars}' keys replaced by its value. */
    private static void writeConfig(String template, Path target, Map<String, String> vars) throws IOException {
        String text = template;
        for (Map.Entry<String, String> v : vars.entrySet()) {
            text = text.replace(v.getKey(), v.getValue());
        }
        Files.writeString(target, text);
    }

    /** A text resource of this package. */
    static String resource(String name) {
        try (InputStream in = LocalClickHouse.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + name, e);
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }

    static void deleteRecursively(Path dir) {
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
