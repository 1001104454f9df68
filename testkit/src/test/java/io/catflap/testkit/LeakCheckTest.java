package io.catflap.testkit;

import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.util.List;

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

    private static void leak() {
        PooledByteBufAllocator.DEFAULT.buffer(16).writeLong(42);
    }
}
