package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class ProcSamplerTest {
    @Test
    void cpuTicksAreUtimePlusStimeCountedAfterTheCommandName() {
        // The command name may contain spaces and ')': fields are counted after the last ')'.
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 9126 0 3 0 1234 567 8 9 20 0 31 0 "
                + "123456 4000000000 50000 18446744073709551615 1 1 0 0 0 0 0 4096 17663 0 0 0 17 1 0 0 0 0 0\n";
        assertEquals(1234 + 567, ProcSampler.parseCpuTicks(stat));
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
    void findsThisJvmByItsListeningPortAndSamplesIt() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            OptionalLong pid = ProcSampler.pidListeningOn(Path.of("/proc"), socket.getLocalPort());
            assertEquals(OptionalLong.of(ProcessHandle.current().pid()), pid);
        }
        ProcSampler sampler = new ProcSampler(Path.of("/proc"), ProcessHandle.current().pid(), 100);
        long spin = 0;
        for (long end = System.nanoTime() + 300_000_000L; System.nanoTime() < end; ) {
            spin += Files.exists(Path.of("/proc/self")) ? 1 : 0;
        }
        sampler.sample();
        assertTrue(spin > 0);
        assertTrue(sampler.cpuSeconds() > 0, "a busy JVM used some CPU");
        assertTrue(sampler.rssKib() > 1024, "a JVM has more than 1 MiB resident");
        assertTrue(sampler.peakRssKib() >= sampler.rssKib());
    }
}
