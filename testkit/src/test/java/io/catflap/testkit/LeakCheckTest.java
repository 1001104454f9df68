package io.catflap.testkit;

import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The leak check itself must be able to fail, or every "no leak" verdict is worthless. */
class LeakCheckTest {
    @Test
    void reportsALeakedBuffer() throws InterruptedException {
        leak();
        List<String> leaks = List.of();
        for (int i = 0; i < 50 && leaks.isEmpty(); i++) {
            leaks = LeakCheck.collect(1);
        }
        assertTrue(leaks.stream().anyMatch(l -> l.contains("ByteBuf") && l.contains("leak")), leaks::toString);
    }

    /** A process under {@link LeakCheckedMain} that leaks and exits reports the leak, access records included. */
    @Test
    void aProcessReportsItsLeaksOnExit() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dio.netty.leakDetection.level=PARANOID", "-cp", System.getProperty("java.class.path"),
                LeakCheckedMain.class.getName(), LeakyMain.class.getName())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), output);
        List<String> leaks = LeakCheckedMain.leaks(output);
        assertEquals(1, leaks.size(), output);
        assertTrue(leaks.get(0).contains("ByteBuf leaked") && leaks.get(0).contains(LeakyMain.class.getName()),
                leaks.get(0));
    }

    /** Leaks one buffer and returns. */
    static final class LeakyMain {
        public static void main(String[] args) {
            leak();
        }
    }

    private static void leak() {
        PooledByteBufAllocator.DEFAULT.buffer(16).writeLong(42);
    }
}
