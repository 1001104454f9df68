package io.catflap.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A standalone ZooKeeper server from the local installation (Debian's {@code zookeeper} package: the jar names its
 * dependencies in its manifest), in a fresh temporary directory on a free loopback port, bound to the life of this
 * JVM by an {@link OwnedProcess}.
 */
final class LocalZooKeeper implements AutoCloseable {

    private static final Path JAR = Path.of("/usr/share/java/zookeeper.jar");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Path dir;
    private final OwnedProcess process;
    private final int port;

    private LocalZooKeeper(Path dir, OwnedProcess process, int port) {
        this.dir = dir;
        this.process = process;
        this.port = port;
    }

    /** The server jar, if installed. */
    static Optional<Path> findJar() {
        return Files.isReadable(JAR) ? Optional.of(JAR) : Optional.empty();
    }

    /** Starts a server and waits until it answers {@code ruok}. */
    static LocalZooKeeper start(Path jar) {
        int port = LocalClickHouse.freePort();
        Path dir;
        try {
            dir = Files.createTempDirectory("catflap-zookeeper-");
            // A short tick: sessions of killed clients expire within seconds (ClickHouse asks for 5 s).
            Files.writeString(dir.resolve("zoo.cfg"), """
                    tickTime=500
                    dataDir=%s
                    clientPort=%d
                    clientPortAddress=127.0.0.1
                    admin.enableServer=false
                    4lw.commands.whitelist=ruok
                    """.formatted(dir.resolve("data"), port));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare a ZooKeeper directory", e);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        OwnedProcess process = OwnedProcess.start(List.of(java, "-Xmx128m", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-cp", jar.toString(), "org.apache.zookeeper.server.ZooKeeperServerMain",
                dir.resolve("zoo.cfg").toString()), dir, dir.resolve("zookeeper.log"), ProcessHandle.current().pid());
        LocalZooKeeper server = new LocalZooKeeper(dir, process, port);
        try {
            server.awaitOk();
            return server;
        } catch (RuntimeException e) {
            String log = server.log();
            server.close();
            throw new IllegalStateException("ZooKeeper (" + jar + ") did not start on port " + port + ": "
                    + e.getMessage() + "\n" + log, e);
        }
    }

    int port() {
        return port;
    }

    private void awaitOk() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the server exited with status " + process.exitValue());
            }
            if ("imok".equals(fourLetterWord("ruok"))) {
                return;
            }
            Pause.millis(100);
        }
        throw new IllegalStateException("no answer to ruok within " + START_TIMEOUT.toSeconds() + " s");
    }

    /** ZooKeeper's four-letter command {@code word} and its answer; empty while the server does not listen. */
    private String fourLetterWord(String word) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(word.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private String log() {
        try {
            String text = Files.readString(dir.resolve("zookeeper.log"));
            return text.substring(Math.max(0, text.length() - 8192));
        } catch (IOException e) {
            return "(no output)";
        }
    }

    /** SIGKILLs the server and removes its directory. */
    @Override
    public void close() {
        process.kill();
        LocalClickHouse.deleteRecursively(dir);
    }
}
