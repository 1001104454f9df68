package io.catflap.client.api;

import io.catflap.client.ClientMetrics;
import io.catflap.client.Ingest;
import io.catflap.client.buffer.MemoryBuffers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Memory writes over the local API: answered at once, with the shared answer, and refused past the caps. */
class LocalApiHandlerTest {
    private static ResourceLeakDetector.Level leakLevel;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final ClientMetrics metrics = new ClientMetrics(new SimpleMeterRegistry());
    /** Batches are never committed, so what was buffered stays counted. */
    private final MemoryBuffers memory = new MemoryBuffers((t, rb, body) -> new CompletableFuture<>(), timer, 100,
            1 << 20, 1 << 20, metrics);
    private final EmbeddedChannel channel = new EmbeddedChannel(LocalApiHandler.newCodec(),
            new HttpObjectAggregator(1 << 20),
            new LocalApiHandler(new Ingest(memory, null, null, Runnable::run, metrics), new QueryForwarder(null, null)));

    @BeforeAll
    static void paranoid() {
        leakLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    @AfterAll
    static void restore() {
        ResourceLeakDetector.setLevel(leakLevel);
    }

    @AfterEach
    void stop() {
        channel.finishAndReleaseAll();
        timer.shutdownNow();
    }

    @Test
    void memoryWritesAreAnsweredAtOnceOnTheKeepAliveConnection() {
        for (String row : new String[]{"(1,'a')", "(2,'b')"}) {
            assertEquals("HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 0\r\n"
                    + "connection: keep-alive\r\n\r\n", post("HTTP/1.1", "", row));
        }
        assertEquals(14, memory.totalBytes());
        assertTrue(channel.isOpen());
    }

    @Test
    void aConnectionThatIsNotKeptAliveIsClosedAfterTheAnswer() {
        assertEquals("HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 0\r\n\r\n",
                post("HTTP/1.0", "", "(1,'a')"));
        assertFalse(channel.isOpen());
    }

    @Test
    void aWritePastTheTableCapIsRefusedWithKittenhousesText() {
        String row = "(1,'" + "x".repeat(80) + "')";
        assertTrue(post("HTTP/1.1", "", row).startsWith("HTTP/1.1 200 OK\r\n"));
        String answer = post("HTTP/1.1", "", row);
        assertTrue(answer.startsWith("HTTP/1.1 500 Internal Server Error\r\n"), answer);
        assertTrue(answer.endsWith("\r\n\r\n" + Ingest.OVERFLOW_MESSAGE), answer);
        assertTrue(channel.isOpen());
    }

    /** Posts one VALUES row to {@code db.t(a,b)} and returns the whole answer. */
    private String post(String version, String extraHeaders, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST /?table=db.t(a%2Cb) " + version + "\r\nhost: 127.0.0.1\r\n" + extraHeaders
                + "content-length: " + bytes.length + "\r\n\r\n";
        channel.writeInbound(Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.ISO_8859_1), bytes));
        StringBuilder answer = new StringBuilder();
        ByteBuf out;
        while ((out = channel.readOutbound()) != null) {
            answer.append(out.toString(StandardCharsets.UTF_8));
            out.release();
        }
        return answer.toString();
    }
}
