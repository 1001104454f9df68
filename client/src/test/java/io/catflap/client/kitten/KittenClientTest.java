package io.catflap.client.kitten;

import io.catflap.protocol.Kitten;
import io.catflap.protocol.ResponseFrame;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KittenClientTest {
    private static EventLoopGroup group;

    @BeforeAll
    static void start() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static KittenClient client(String hostPort, KittenOptions options) {
        return new KittenClient(group, KittenDestination.socketAddress(hostPort), options);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws Exception {
        // The server answers each request with its body as message, status 200: answers must match requests.
        try (TinyKittenServer server = TinyKittenServer.meowing(r -> new ResponseFrame(200, r.body()));
             KittenClient client = client(server.hostPort(), KittenOptions.defaults())) {
            List<CompletableFuture<ResponseFrame>> answers = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                answers.add(client.send("db.t(a)", false, bytes("(" + i + ")")));
            }
            for (int i = 0; i < 200; i++) {
                assertEquals("(" + i + ")", answers.get(i).get(10, TimeUnit.SECONDS).message());
            }
            assertEquals(1, server.connections.get());
            // kittenhouse's handshake, asking for idempotency keys (its server ignores the header)
            assertEquals("KITTEN / HTTP/1.1\r\nX-Catflap-Features: dedup\r\n\r\n", server.handshakes.get(0));
            assertEquals("db.t(a)", server.requests.get(0).table());
            assertEquals(0, server.requests.get(0).flags());
        }
    }

    @Test
    void anIdempotencyKeyIsSentOnlyToAServerThatAdvertisedDedup() throws Exception {
        byte[] key = new byte[Kitten.IDEMPOTENCY_KEY_BYTES];
        key[0] = (byte) 0xca;
        try (TinyKittenServer plain = TinyKittenServer.meowing(r -> ResponseFrame.OK);
             KittenClient client = client(plain.hostPort(), KittenOptions.defaults())) {
            client.send("db.t(a)", false, bytes("(1)"), key).get(10, TimeUnit.SECONDS);
            assertEquals(new TinyKittenServer.Received(0, "db.t(a)", "(1)", null), plain.requests.get(0),
                    "kittenhouse's server would take the key for rows");
        }
        try (TinyKittenServer dedup = TinyKittenServer.deduplicating(r -> ResponseFrame.OK);
             KittenClient client = client(dedup.hostPort(), KittenOptions.defaults().withLz4(true))) {
            client.send("db.t(a)", true, bytes("rows"), key).get(10, TimeUnit.SECONDS);
            client.send("db.t(a)", true, bytes("more"), null).get(10, TimeUnit.SECONDS);
            assertEquals(new TinyKittenServer.Received(Kitten.FLAG_IDEMPOTENCY_KEY | Kitten.FLAG_LZ4
                    | Kitten.FLAG_ROW_BINARY, "db.t(a)", "rows", "ca" + "00".repeat(15)), dedup.requests.get(0));
            assertEquals(new TinyKittenServer.Received(Kitten.FLAG_LZ4 | Kitten.FLAG_ROW_BINARY, "db.t(a)", "more",
                    null), dedup.requests.get(1));
        }
    }

    @Test
    void errorStatusCompletesExceptionallyWithTheMessage() throws Exception {
        try (TinyKittenServer server = TinyKittenServer.meowing(r -> r.body().contains("bad")
                ? new ResponseFrame(500, "Code: 53, e.displayText() = DB::Exception: Type mismatch")
                : ResponseFrame.OK);
             KittenClient client = client(server.hostPort(), KittenOptions.defaults())) {
            CompletableFuture<ResponseFrame> bad = client.send("t", false, bytes("('bad')"));
            CompletableFuture<ResponseFrame> good = client.send("t", true, bytes("xx"));
            ExecutionException e = assertThrows(ExecutionException.class, () -> bad.get(10, TimeUnit.SECONDS));
            InsertException ie = assertInstanceOf(InsertException.class, e.getCause());
            assertEquals(500, ie.status());
            assertEquals(53, ie.clickHouseCode());
            assertTrue(ie.rowsRejected());
            assertTrue(good.get(10, TimeUnit.SECONDS).ok());
            assertEquals(Kitten.FLAG_ROW_BINARY, server.requests.get(1).flags());
        }
    }

    @Test
    void reconnectsAfterTheConnectionIsLost() throws Exception {
        try (TinyKittenServer server = TinyKittenServer.meowing(r -> ResponseFrame.OK);
             KittenClient client = client(server.hostPort(), KittenOptions.defaults())) {
            client.send("t", false, bytes("(1)")).get(10, TimeUnit.SECONDS);
            server.dropConnections();
            // The first send after the drop may hit the dead connection before the client noticed; a later one
            // must go through on a new connection.
            boolean delivered = false;
            for (int attempt = 0; attempt < 50 && !delivered; attempt++) {
                try {
                    client.send("t", false, bytes("(2)")).get(10, TimeUnit.SECONDS);
                    delivered = true;
                } catch (ExecutionException e) {
                    assertInstanceOf(IOException.class, e.getCause());
                    Thread.sleep(20);
                }
            }
            assertTrue(delivered);
            assertEquals(2, server.connections.get());
        }
    }

    @Test
    void sendsBearerTokenAndLz4Bodies() throws Exception {
        try (TinyKittenServer server = TinyKittenServer.meowing(r -> ResponseFrame.OK);
             KittenClient client = client(server.hostPort(), KittenOptions.defaults().withBearerToken("s3cret").withLz4(true))) {
            String body = "(1,'" + "x".repeat(10_000) + "')";
            client.send("db.t(a,b)", false, bytes(body)).get(10, TimeUnit.SECONDS);
            assertTrue(server.handshakes.get(0).contains("Bearer s3cret"), server.handshakes.get(0));
            assertEquals(Kitten.FLAG_LZ4, server.requests.get(0).flags());
            assertEquals(body, server.requests.get(0).body());
        }
    }

    @Test
    void peerWithoutMeowIsReportedAsUnsupported() throws Exception {
        try (TinyKittenServer server = TinyKittenServer.replying(
                "HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad request");
             KittenClient client = client(server.hostPort(), KittenOptions.defaults())) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.send("t", false, bytes("(1)")).get(10, TimeUnit.SECONDS));
            assertInstanceOf(KittenUnsupportedException.class, e.getCause());
        }
    }

    @Test
    void silentPeerIsReportedAsUnsupportedAfterTheHandshakeTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0);
             KittenClient client = client("127.0.0.1:" + silent.getLocalPort(), new KittenOptions(null, false,
                     Duration.ofMillis(300), Duration.ofSeconds(5), Duration.ofSeconds(5)))) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.send("t", false, bytes("(1)")).get(10, TimeUnit.SECONDS));
            assertInstanceOf(KittenUnsupportedException.class, e.getCause());
        }
    }

    @Test
    void unansweredRequestTimesOut() throws Exception {
        try (TinyKittenServer server = TinyKittenServer.meowing(r -> {
            try {
                Thread.sleep(10_000);   // a stuck aggregator
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ResponseFrame.OK;
        });
             KittenClient client = client(server.hostPort(), new KittenOptions(null, false, Duration.ofSeconds(5),
                     Duration.ofMillis(300), Duration.ofSeconds(30)))) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.send("t", false, bytes("(1)")).get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("did not answer in time"), e.getCause().toString());
        }
    }

    @Test
    void refusedTokenIsAnErrorNotAFallback() throws Exception {
        try (TinyKittenServer server = TinyKittenServer.replying(
                "HTTP/1.1 401 Unauthorized\r\nContent-Length: 13\r\nConnection: close\r\n\r\nbad token xyz");
             KittenClient client = client(server.hostPort(), KittenOptions.defaults().withBearerToken("wrong"))) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.send("t", false, bytes("(1)")).get(10, TimeUnit.SECONDS));
            assertEquals(401, assertInstanceOf(InsertException.class, e.getCause()).status());
        }
    }

    @Test
    void unreachablePeerFailsWithAnIoError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (KittenClient client = client("127.0.0.1:" + port, KittenOptions.defaults())) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.send("t", false, bytes("(1)")).get(10, TimeUnit.SECONDS));
            assertInstanceOf(IOException.class, e.getCause());
        }
    }
}
