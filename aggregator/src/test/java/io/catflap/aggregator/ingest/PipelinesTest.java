package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.tls.TlsContext;
import io.catflap.testkit.TestCertificates;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.ClientAuth;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The handlers each kind of connection gets, in the order the {@link Pipelines} comment draws them. */
class PipelinesTest {
    private static final List<String> COMMON_HEAD = List.of("gate", "read-deadline", "unwritable");

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ReadGate gate = new ReadGate(4, 1 << 20, () -> false, registry);
    private final Pipelines pipelines = pipelines(null, 0);
    private final EmbeddedChannel ch = new EmbeddedChannel();

    private Pipelines pipelines(TlsContext tls, long garbageDelayMillis) {
        return new Pipelines(new Ingest(gate,
                null, null, new BadRequests(registry), AccessPolicy.open(), 1 << 20, 1 << 10,
                ChannelInboundHandlerAdapter::new, new Quarantine(0, System::nanoTime, registry), registry), tls, 60_000, 0, new ReadDeadlineHandler.Timeouts(registry),
                60_000, Counter.builder("unwritable").register(registry), 60_000,
                Counter.builder("idle").register(registry), garbageDelayMillis);
    }

    @AfterEach
    void close() {
        ch.finishAndReleaseAll();
    }

    private List<String> names() {
        return ch.pipeline().names().stream().filter(n -> !n.startsWith("DefaultChannelPipeline$")).toList();
    }

    private void send(String s) {
        ch.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII));
    }

    @Test
    void anHttpConnection() {
        pipelines.connection(ch.pipeline());
        assertEquals(concat(COMMON_HEAD, List.of("sniffer", "pipeline-depth", "idle")), names());
        send("GET /ping HTTP/1.1\r\n\r\n");
        assertEquals(concat(COMMON_HEAD, List.of("http-codec", "pipeline-depth", "idle", "http-order",
                "http-continue", "http-reply", "http-insert", "insert", "select")), names());
    }

    @Test
    void aKittenConnection() {
        pipelines.connection(ch.pipeline());
        send("KITTEN / HTTP/1.1\n");
        assertEquals(concat(COMMON_HEAD, List.of("kitten-handshake", "pipeline-depth", "idle")), names());
        send("\n");
        assertEquals(concat(COMMON_HEAD, List.of("frame-encoder", "frame-decoder", "pipeline-depth", "idle",
                "kitten-reply", "kitten-insert", "insert")), names());
    }

    /** Plaintext on a TLS port: the handshake fails, the connection closes, nothing escapes the pipeline. */
    @Test
    void aTlsConnectionClosesOnPlaintext(@TempDir Path dir) {
        TestCertificates.Pem pem = TestCertificates.create(dir).server("aggregator");
        pipelines(TlsContext.server(pem.certificate(), pem.privateKey(), null, ClientAuth.NONE), 0)
                .connection(ch.pipeline());
        assertEquals(concat(List.of("tls"), concat(COMMON_HEAD, List.of("sniffer", "pipeline-depth", "idle"))),
                names());
        send("GET /ping HTTP/1.1\r\n\r\n");
        assertFalse(ch.isOpen());
        ch.checkException();
        assertEquals(1, registry.counter("catflap.bad_requests", "reason", "tls_handshake").count());
    }

    /**
     * Empty lines before a request line are skipped (RFC 9112); the start of a method is enough for HTTP, whose
     * codec then times out a head that stalls.
     */
    @Test
    void anHttpRequestAfterEmptyLinesAndInPieces() {
        pipelines.connection(ch.pipeline());
        send("\r\n\r\n");
        assertEquals("sniffer", names().get(COMMON_HEAD.size()));
        send("PO");
        assertEquals("http-codec", names().get(COMMON_HEAD.size()));
    }

    /** A KITTEN handshake's first bytes in pieces: still sniffing until {@code "KITTEN "} is complete. */
    @Test
    void aKittenHandshakeInPieces() {
        pipelines.connection(ch.pipeline());
        send("KITT");
        assertEquals("sniffer", names().get(COMMON_HEAD.size()));
        send("EN / HTTP/1.1\n");
        assertEquals("kitten-handshake", names().get(COMMON_HEAD.size()));
    }

    /**
     * Random bytes, a TLS hello on the plaintext port, a method too long to be one: refused before any protocol's
     * handlers exist, not read further, answered 400 only after the delay, then closed; the read gate gets back
     * what it lent for the bytes.
     */
    @Test
    void garbageIsAnsweredAfterTheDelayAndClosed() {
        byte[][] garbage = {
                {'X', (byte) 0x9a, 0x01, ' ', 'G'},
                {0x16, 0x03, 0x01, 0x02, 0x00, 0x01},
                "ABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII),
                {' ', 'G', 'E', 'T'},
                "\r\n\r\n\r\n\r\n\r\nGET".getBytes(StandardCharsets.US_ASCII),
        };
        for (byte[] bytes : garbage) {
            EmbeddedChannel c = new EmbeddedChannel();
            pipelines(null, 1_000).connection(c.pipeline());
            c.writeInbound(Unpooled.wrappedBuffer(bytes));
            assertTrue(c.pipeline().names().contains("refused"), c.pipeline().names().toString());
            assertFalse(c.pipeline().names().contains("http-codec"));
            assertFalse(c.config().isAutoRead(), "not read while it waits");
            assertEquals(0, gate.freeHeld());
            assertNull(c.readOutbound(), "no answer before the delay");
            c.advanceTimeBy(1_000, TimeUnit.MILLISECONDS);
            c.runPendingTasks();
            ByteBuf answer = c.readOutbound();
            String text = answer.toString(StandardCharsets.US_ASCII);
            answer.release();
            assertTrue(text.startsWith("HTTP/1.1 400 Bad Request\r\n") && text.contains("Connection: close")
                    && text.contains("Not a request"), text);
            assertTrue(bytes[0] != 'X' || text.contains("bytes 589a012047"), "what came, in hex: " + text);
            assertFalse(c.isOpen());
            c.checkException();
        }
        assertEquals(garbage.length, registry.counter("catflap.bad_requests", "reason", "not_a_request").count());
    }

    /** A sender that leaves while it waits for its refusal: nothing is written, nothing leaks. */
    @Test
    void garbageSenderThatLeavesBeforeTheAnswer() {
        EmbeddedChannel c = new EmbeddedChannel();
        pipelines(null, 1_000).connection(c.pipeline());
        c.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x16, 0x03, 0x01}));
        c.close();
        c.advanceTimeBy(1_000, TimeUnit.MILLISECONDS);
        c.runPendingTasks();
        assertNull(c.readOutbound());
        c.checkException();
    }

    /** Any bytes, in any pieces: the sniffer picks KITTEN, HTTP or a refusal, or waits; it never throws or leaks. */
    @Test
    void anyBytesInAnyPieces() {
        Random random = new Random(17);
        for (int run = 0; run < 2_000; run++) {
            byte[] bytes = new byte[random.nextInt(40)];
            random.nextBytes(bytes);
            if (random.nextBoolean() && bytes.length > 8) {   // a plausible start, so every outcome is reached
                byte[] start = (random.nextBoolean() ? "KITTEN " : "POST ").getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(start, 0, bytes, 0, Math.min(start.length, random.nextInt(bytes.length)));
            }
            EmbeddedChannel c = new EmbeddedChannel();
            pipelines.connection(c.pipeline());
            for (int at = 0; at < bytes.length && c.isOpen(); ) {
                int n = 1 + random.nextInt(bytes.length - at);
                c.writeInbound(Unpooled.wrappedBuffer(bytes, at, n));
                at += n;
            }
            c.runPendingTasks();
            List<String> names = c.pipeline().names();
            assertTrue(!c.isOpen() || names.contains("sniffer") || names.contains("refused")
                    || names.contains("http-codec") || names.contains("kitten-handshake"), names.toString());
            c.finishAndReleaseAll();
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
