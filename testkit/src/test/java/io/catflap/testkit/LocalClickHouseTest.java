package io.catflap.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalClickHouseTest {

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void startsOnFreePortsAndCloseRemovesEverything() throws Exception {
        Path binary = LocalClickHouse.findBinary().orElseThrow(() -> new AssertionError("no clickhouse-server"));
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
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> LocalClickHouse.start(fake, parent));

        assertTrue(e.getMessage().contains("exited with status 3"), e.getMessage());
        assertTrue(e.getMessage().contains("Cannot bind the port"), e.getMessage());
        try (Stream<Path> left = Files.list(parent)) {
            assertEquals(List.of(), left.collect(Collectors.toList()), "directories left behind");
        }
    }

    private String get(URI uri) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
