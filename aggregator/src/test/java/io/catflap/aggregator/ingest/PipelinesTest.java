package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.catflap.aggregator.tls.TlsContext;
import io.catflap.testkit.TestCertificates;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.ClientAuth;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The handlers each kind of connection gets, in the order the {@link Pipelines} comment draws them. */
class PipelinesTest {
    private static final List<String> COMMON_HEAD = List.of("gate", "read-deadline", "unwritable");

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Pipelines pipelines = pipelines(null);
    private final EmbeddedChannel ch = new EmbeddedChannel();

    private Pipelines pipelines(TlsContext tls) {
        return new Pipelines(new Ingest(new ReadGate(4, 1 << 20, () -> false, registry),
                null, null, new BadRequests(registry), AccessPolicy.open(), 1 << 20, 1 << 10,
                ChannelInboundHandlerAdapter::new, new Quarantine(0, System::nanoTime, registry), registry), tls, 60_000, 0, new ReadDeadlineHandler.Timeouts(registry),
                60_000, Counter.builder("unwritable").register(registry), 60_000,
                Counter.builder("idle").register(registry));
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
        pipelines(TlsContext.server(pem.certificate(), pem.privateKey(), null, ClientAuth.NONE))
                .connection(ch.pipeline());
        assertEquals(concat(List.of("tls"), concat(COMMON_HEAD, List.of("sniffer", "pipeline-depth", "idle"))),
                names());
        send("GET /ping HTTP/1.1\r\n\r\n");
        assertFalse(ch.isOpen());
        ch.checkException();
        assertEquals(1, registry.counter("catflap.bad_requests", "reason", "tls_handshake").count());
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
