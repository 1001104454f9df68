package io.catflap.client;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * SIGTERM ends the daemon while its destinations hang: every shutdown step is bounded, whatever a peer or the name
 * resolver does. {@link JavaProcess#stop()} gives the process 30 s before it sends SIGKILL; exit status 143 says the
 * shutdown hooks finished on their own (137 would be the SIGKILL). The bound only catches a hang: a normal shutdown
 * with undeliverable rows takes about the memory buffers' drain time (10 s).
 */
class ShutdownWhileStuckTest {
    private static final int EXIT_AFTER_SIGTERM = 143;

    @TempDir
    Path dir;

    /**
     * A resolver that never answers: the JVM's hosts file is a FIFO nobody writes to, so every lookup blocks forever
     * in open(2) — what a dead name server does for as long as the system resolver's timeouts allow.
     */
    @Test
    void exitsWhileTheResolverNeverAnswers() throws Exception {
        Path hosts = dir.resolve("hosts.fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", hosts.toString()).inheritIO().start().waitFor());
        Path routing = Files.writeString(dir.resolve("routing.conf"), """
                * =unresolvable-host-a.invalid:8124*1 =unresolvable-host-b.invalid:8124*2;
                t2 unresolvable-host-c.invalid:8124;
                """);
        List<String> jvm = new ArrayList<>(JavaProcess.TEST_JVM);
        jvm.add("-Djdk.net.hosts.file=" + hosts);
        DaemonProcess daemon = DaemonProcess.start(jvm, dir.resolve("data"), JavaProcess.freePort(),
                JavaProcess.freePort(), "-c", routing.toString());
        assertExitsOnSigtermWithRowsBuffered(daemon, "t", "t2");
    }

    /** An aggregator that accepts TCP connections (the kernel's backlog does) but never reads or answers. */
    @Test
    void exitsWhileTheAggregatorNeverAnswers() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            DaemonProcess daemon = DaemonProcess.start(dir.resolve("data"),
                    "--ch-addr", "127.0.0.1:" + silent.getLocalPort());
            assertExitsOnSigtermWithRowsBuffered(daemon, "t", "t2");
        }
    }

    private static void assertExitsOnSigtermWithRowsBuffered(DaemonProcess daemon, String... tables) throws Exception {
        try (daemon) {
            for (String table : tables) {
                for (int i = 0; i < 5; i++) {
                    assertEquals(200, daemon.post(table + "(a)", "", "(" + i + ")").statusCode());
                    assertEquals(200, daemon.post(table + "(a)", "&persistent=1", "(" + i + ")").statusCode());
                }
            }
            // Past the first memory flush (1-3 s): connection attempts from both buffers are underway.
            Thread.sleep(3500);
            assertEquals(EXIT_AFTER_SIGTERM, daemon.process().stop(), () -> daemon.process().output());
        }
    }
}
