package io.catflap.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalClickHouseTest {

    private static Path binary;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** Needs the local binary unless ClickHouse comes from elsewhere (CLICKHOUSE_URL) or is opted out of. */
    @BeforeAll
    static void findBinary() {
        Optional<Path> found = LocalClickHouse.findBinary();
        if (found.isEmpty()) {
            assumeTrue(System.getenv(ClickHouseServer.URL_ENV) == null
                            && !"skip".equalsIgnoreCase(System.getProperty(ClickHouseServer.MODE_PROPERTY, "")),
                    "no local clickhouse-server, and the tests use ClickHouse from elsewhere");
            fail("no clickhouse-server installed: run bin/test, or apt-get install clickhouse-server");
        }
        binary = found.get();
    }

    @Test
    void startsOnFreePortsAndCloseRemovesEverything() throws Exception {
        LocalClickHouse server = LocalClickHouse.start(binary);
        Path dir = server.dir();
        URI ping = URI.create("http://127.0.0.1:" + server.httpPort() + "/ping");
        try {
            assertEquals("Ok.\n", get(ping));
            assertTrue(Files.isDirectory(dir.resolve("data")));
        } finally {
            server.close();
        }
        assertFalse(Files.exists(dir), dir + " left behind");
        assertThrows(ConnectException.class, () -> get(ping));
    }

    @Test
    void aServerThatDoesNotStartIsReportedWithItsOutput(@TempDir Path tmp) throws IOException {
        Path fake = tmp.resolve("clickhouse-server");
        Files.writeString(fake, "#!/bin/sh\necho 'Cannot bind the port' >&2\nexit 3\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));

        Path parent = Files.createDirectory(tmp.resolve("servers"));
        long me = ProcessHandle.current().pid();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> LocalClickHouse.start(fake, parent, me));

        assertTrue(e.getMessage().contains("exited with status 3"), e.getMessage());
        assertTrue(e.getMessage().contains("Cannot bind the port"), e.getMessage());
        try (Stream<Path> left = Files.list(parent)) {
            assertEquals(List.of(), left.collect(Collectors.toList()), "directories left behind");
        }
    }

    @Test
    void aServerWhoseOwnerDiesWithoutCleaningUpIsStoppedAndRemoved(@TempDir Path tmp) throws Exception {
        Process owner = new ProcessBuilder("sleep", "300").start();
        LocalClickHouse server = LocalClickHouse.start(binary, tmp, owner.pid());
        URI ping = URI.create("http://127.0.0.1:" + server.httpPort() + "/ping");
        try {
            assertEquals("Ok.\n", get(ping));
            owner.destroyForcibly().waitFor(); // as a test JVM killed with SIGKILL: no shutdown hook runs

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (Files.exists(server.dir()) && System.nanoTime() < deadline) {
                Pause.millis(100);
            }
            assertFalse(Files.exists(server.dir()), server.dir() + " left behind");
            assertThrows(ConnectException.class, () -> get(ping));
        } finally {
            server.close();
        }
    }

    private String get(URI uri) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
