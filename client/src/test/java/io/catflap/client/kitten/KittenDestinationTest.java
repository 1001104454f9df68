package io.catflap.client.kitten;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Mode switching against a peer that answers every request with HTTP 501 (as ClickHouse does to the KITTEN method): the
 * first insert probes KITTEN and falls back to HTTP; later ones go straight to HTTP until the recheck interval has
 * passed, then KITTEN is probed again. (Delivery over the fallback against the real ClickHouse: HttpFallbackTest.)
 */
class KittenDestinationTest {
    private EventLoopGroup group;
    private ExecutorService http;

    @BeforeEach
    void setUp() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        http = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() {
        http.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void fallsBackToHttpAndProbesKittenAgainAfterTheRecheckInterval() throws Exception {
        AtomicLong now = new AtomicLong();
        try (TinyKittenServer server = TinyKittenServer.replying(
                "HTTP/1.1 501 Not Implemented\r\nContent-Length: 3\r\nConnection: close\r\n\r\nnop");
             KittenDestination dest = new KittenDestination(server.hostPort(), group, http, KittenOptions.defaults(),
                     Duration.ofMinutes(60), now::get)) {
            insertGets501(dest);
            assertEquals(KittenDestination.Mode.HTTP, dest.mode());
            assertEquals(List.of("KITTEN", "POST"), methods(server));

            now.addAndGet(Duration.ofMinutes(59).toNanos());
            insertGets501(dest);
            assertEquals(List.of("KITTEN", "POST", "POST"), methods(server));

            now.addAndGet(Duration.ofMinutes(2).toNanos());
            insertGets501(dest);
            assertEquals(List.of("KITTEN", "POST", "POST", "KITTEN", "POST"), methods(server));
        }
    }

    private static void insertGets501(KittenDestination dest) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> dest.insert("db.t(a)", false,
                "(1)".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS));
        assertEquals(501, assertInstanceOf(InsertException.class, e.getCause()).status());
    }

    private static List<String> methods(TinyKittenServer server) {
        return server.handshakes.stream().map(h -> h.substring(0, h.indexOf(' '))).toList();
    }
}
