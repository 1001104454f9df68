package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

class HostileSendersTest {
    private static final Workload WORKLOAD = new Workload(new RowGenerator(RowFormat.VALUES, "t", 10),
            List.of("default.t"), 1, 0, "t");

    @Test
    void specNamesKindsAndCounts() {
        HostileSenders.Spec spec = HostileSenders.Spec.parse("stall:5, noread:2,stall:1");
        assertEquals(Map.of(HostileSenders.Kind.STALL, 6, HostileSenders.Kind.NOREAD, 2), spec.counts());
        assertEquals(8, spec.total());
        assertThrows(IllegalArgumentException.class, () -> HostileSenders.Spec.parse("flood:3"));
        assertThrows(IllegalArgumentException.class, () -> HostileSenders.Spec.parse("stall"));
        assertThrows(IllegalArgumentException.class, () -> HostileSenders.Spec.parse("stall:-1"));
    }

    /** Each kind sends what it claims to, and a connection the target closes comes back. */
    @Test
    void kindsSendTheirBytesAndComeBackWhenClosed() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            ConcurrentLinkedQueue<String> firstBytes = new ConcurrentLinkedQueue<>();
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept()) {
                        s.setSoTimeout(5000);
                        firstBytes.add(readSome(s.getInputStream()));
                    } catch (IOException e) {
                        return;   // closed
                    }
                }
            });
            acceptor.start();
            Target target = Target.parse("kitten://127.0.0.1:" + server.getLocalPort());
            try (HostileSenders senders = new HostileSenders(target, WORKLOAD, "t-hostile")) {
                senders.start(HostileSenders.Spec.parse("stall:1,handshake:1"), 10_000);
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (firstBytes.size() < 4 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertTrue(firstBytes.contains("K"), firstBytes::toString);
                assertTrue(firstBytes.contains("KITTEN / HTTP/1.1\n"), firstBytes::toString);
                // the server closed each one after reading, and each came back
                assertTrue(firstBytes.size() >= 4, firstBytes::toString);
                @SuppressWarnings("unchecked")
                Map<String, Long> stall = (Map<String, Long>) senders.toJson().get("stall");
                assertTrue(stall.get("closed_by_target") >= 1, stall::toString);
            } finally {
                server.close();
                acceptor.join(10_000);
            }
        }
    }

    /** What a stalled or unfinished sender sends at first: it sends no more until closed. */
    private static String readSome(InputStream in) throws IOException {
        byte[] buf = new byte[64];
        int n = in.read(buf);
        return n < 0 ? "" : new String(buf, 0, n, StandardCharsets.US_ASCII);
    }
}
