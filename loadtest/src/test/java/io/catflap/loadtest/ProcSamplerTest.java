package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class ProcSamplerTest {
    @Test
    void cpuTicksAreUtimeAndStimeCountedAfterTheCommandName() {
        // The command name may contain spaces and ')': fields are counted after the last ')'.
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 9126 0 3 0 1234 567 8 9 20 0 31 0 "
                + "123456 4000000000 50000 18446744073709551615 1 1 0 0 0 0 0 4096 17663 0 0 0 17 1 0 0 0 0 0\n";
        assertArrayEquals(new long[] {1234, 567}, ProcSampler.parseCpuTicks(stat));
    }

    @Test
    void rssComesFromVmRss() {
        String status = "Name:\tjava\nVmPeak:\t 9999999 kB\nVmRSS:\t  123456 kB\nRssAnon:\t 100000 kB\n";
        assertEquals(123456, ProcSampler.parseRssKib(status));
        assertEquals(0, ProcSampler.parseRssKib("Name:\tkthreadd\nState:\tS (sleeping)\n"));
    }

    @Test
    void listeningInodesMatchPortAndListenState() {
        String tcp = """
                    sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
                      0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
                      1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 20 4 30 10 -1
                      2: 00000000:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 100 0 0 10 0
                """;
        assertEquals(Set.of("111"), ProcSampler.listeningInodes(tcp, 8080));
        assertEquals(Set.of("333"), ProcSampler.listeningInodes(tcp, 8081));
        assertEquals(Set.of(), ProcSampler.listeningInodes(tcp, 8082));
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void findsThisJvmByItsListeningPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            OptionalLong pid = ProcSampler.pidListeningOn(Path.of("/proc"), socket.getLocalPort());
            assertEquals(OptionalLong.of(ProcessHandle.current().pid()), pid);
        }
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void cpuTimeOfAChildCountsOnlyWhileItBurnsCpu() throws Exception {
        try (Child child = new Child("read go; while :; do :; done")) {
            ProcSampler sampler = ProcSampler.of(child.pid());
            sampler.sample();
            assertEquals(0.0, sampler.cpuSeconds(), "waiting for input uses no CPU");
            child.say("go");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            do {
                Thread.sleep(50);
                sampler.sample();
            } while (sampler.cpuSeconds() < 0.3 && System.nanoTime() < deadline);
            assertTrue(sampler.cpuSeconds() >= 0.3, "CPU seconds of a busy loop: " + sampler.cpuSeconds());
        }
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void residentMemoryOfAChildGrowsWhenItAllocatesAndThePeakStays() throws Exception {
        // The shell keeps 64 MB of command output in a variable, then drops it.
        try (Child child = new Child("read go; x=$(head -c 64000000 /dev/zero | tr '\\0' a); echo held; read drop; "
                + "x=; echo dropped; read end")) {
            ProcSampler sampler = ProcSampler.of(child.pid());
            long before = sampler.rssKib();
            assertTrue(before > 0 && before < 32_000, "a shell waiting for input: " + before + " KiB");
            child.say("go");
            assertEquals("held", child.line());
            sampler.sample();
            assertTrue(sampler.rssKib() > before + 50_000, before + " KiB before, " + sampler.rssKib() + " after");
            long held = sampler.rssKib();
            child.say("drop");
            assertEquals("dropped", child.line());
            sampler.sample();
            assertTrue(sampler.rssKib() < held, "freed: " + sampler.rssKib() + " KiB");
            assertEquals(held, sampler.peakRssKib(), "the peak keeps the largest sample");
        }
    }

    /** {@code sh -c script}, fed lines on its stdin and read line by line from its stdout; killed on close. */
    private static final class Child implements AutoCloseable {
        private final Process process;
        private final BufferedReader out;

        Child(String script) throws IOException {
            process = new ProcessBuilder("sh", "-c", script).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
        }

        long pid() {
            return process.pid();
        }

        void say(String line) throws IOException {
            process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            process.getOutputStream().flush();
        }

        String line() throws IOException {
            return out.readLine();
        }

        @Override
        public void close() throws InterruptedException {
            process.destroyForcibly().waitFor();
        }
    }
}
