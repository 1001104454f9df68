package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding ClickHouse's process in a scratch /proc: process 42 listens on port 8123 (0x1FBB), socket inode 111. */
class ClickHouseServerTest {
    @TempDir
    Path proc;

    @BeforeEach
    void listener() throws Exception {
        Files.createDirectories(proc.resolve("net"));
        Files.writeString(proc.resolve("net/tcp"), """
                  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
                   0: 0100007F:1FBB 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 111 1 0000000000000000 100 0 0 10 0
                """);
        Files.createDirectories(proc.resolve("42/fd"));
        Files.createSymbolicLink(proc.resolve("42/fd/17"), Path.of("socket:[111]"));
        Files.writeString(proc.resolve("42/comm"), "clickhouse-serv\n");
        Files.createDirectories(proc.resolve("7/fd"));   // another process, without the socket
    }

    @Test
    void theListenerOnALoopbackUrlsPort() {
        assertEquals(OptionalLong.of(42), ClickHouseProcess.localPid(proc, URI.create("http://127.0.0.1:8123")));
        assertEquals(OptionalLong.of(42), ClickHouseProcess.localPid(proc, URI.create("http://localhost")),
                "the default port");
        assertEquals(OptionalLong.of(42), ClickHouseProcess.localPid(proc, URI.create("http://u:p@[::1]:8123/")));
    }

    @Test
    void nothingForAnotherHostOrPort() {
        assertEquals(OptionalLong.empty(), ClickHouseProcess.localPid(proc, URI.create("http://10.1.2.3:8123")));
        assertEquals(OptionalLong.empty(), ClickHouseProcess.localPid(proc, URI.create("http://127.0.0.1:8124")));
        assertEquals(OptionalLong.empty(), ClickHouseProcess.localPid(proc, URI.create("localhost:8123")),
                "no host: not taken for loopback");
    }

    @Test
    void nothingWhenTheListenerIsNotClickHouse() throws Exception {
        Files.writeString(proc.resolve("42/comm"), "docker-proxy\n");
        assertEquals(OptionalLong.empty(), ClickHouseProcess.localPid(proc, URI.create("http://127.0.0.1:8123")));
    }

    @Test
    void nothingWithoutProc() {
        assertEquals(OptionalLong.empty(),
                ClickHouseProcess.localPid(proc.resolve("missing"), URI.create("http://127.0.0.1:8123")));
    }

    @Test
    void defaultPortsOfTheScheme() {
        assertEquals(8123, ClickHouseProcess.port(URI.create("http://ch")));
        assertEquals(8443, ClickHouseProcess.port(URI.create("https://ch")));
        assertEquals(28123, ClickHouseProcess.port(URI.create("http://ch:28123")));
    }
}
