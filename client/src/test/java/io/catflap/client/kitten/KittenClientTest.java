package io.catflap.client.kitten;

import io.catflap.aggregator.Aggregator;
import io.catflap.aggregator.AggregatorConfig;
import io.catflap.aggregator.ingest.TokenFile;
import io.catflap.client.Await;
import io.catflap.client.RowBinary;
import io.catflap.protocol.Kitten;
import io.catflap.protocol.ResponseFrame;
import io.catflap.testkit.ClickHouseServer;
import io.catflap.testkit.TestCertificates;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The KITTEN library against a real aggregator in front of the real ClickHouse, and against the real ClickHouse itself
 * (a peer that does not speak KITTEN). Faults a real peer does not produce on demand — a dropped connection, an answer
 * that never comes, a silent peer, kittenhouse's own server — come from {@link TinyKittenServer} or a bare socket.
 */
class KittenClientTest {
    private static final ClickHouseServer CH = ClickHouseServer.shared();
    private static final String TOKEN = "s3cret";
    private static EventLoopGroup group;

    @BeforeAll
    static void start() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static Aggregator aggregator(TokenFile tokens) throws InterruptedException {
        return Aggregator.start(config().tokens(tokens));
    }

    private static AggregatorConfig config() {
        return new AggregatorConfig().listen(new InetSocketAddress("127.0.0.1", 0)).admin(null)
                .clickhouse(CH.httpUrl());
    }

    private static KittenClient client(String hostPort, KittenOptions options) {
        return new KittenClient(group, KittenDestination.socketAddress(hostPort), options);
    }

    private static KittenClient client(Aggregator aggregator, KittenOptions options) {
        return client("127.0.0.1:" + aggregator.port(), options);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String table() {
        return CH.createTable("kitten_client", "id UInt64, s String");
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws Exception {
        // Every tenth request holds a bad row: only those may fail, so any answer out of order shows.
        String table = table();
        try (Aggregator aggregator = aggregator(null);
             KittenClient client = client(aggregator, KittenOptions.defaults())) {
            List<CompletableFuture<ResponseFrame>> answers = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String id = i % 10 == 3 ? "'bad'" : Integer.toString(i);
                answers.add(client.send(table + "(id,s)", false, bytes("(" + id + ",'p')")));
            }
            for (int i = 0; i < 200; i++) {
                int n = i;
                if (i % 10 == 3) {
                    ExecutionException e = assertThrows(ExecutionException.class,
                            () -> answers.get(n).get(60, TimeUnit.SECONDS), "request " + i);
                    assertTrue(assertInstanceOf(InsertException.class, e.getCause()).rowsRejected());
                } else {
                    assertTrue(answers.get(i).get(60, TimeUnit.SECONDS).ok(), "request " + i);
                }
            }
            assertEquals(1.0, aggregator.registry().get("catflap.connections.open").gauge().value());
        }
        assertEquals(180, CH.count(table));
        assertEquals(0, CH.count(table, "id % 10 = 3"));
    }

    @Test
    void aRepeatedIdempotencyKeyLandsItsRowsOnce() throws Exception {
        String table = table();
        byte[] key = new byte[Kitten.IDEMPOTENCY_KEY_BYTES];
        key[0] = (byte) 0xca;
        byte[] other = key.clone();
        other[1] = 1;
        try (Aggregator aggregator = aggregator(null);
             KittenClient client = client(aggregator, KittenOptions.defaults().withLz4(true))) {
            byte[] rows = new RowBinary().row(1, "once").bytes();
            assertTrue(client.send(table + "(id,s)", true, rows, key).get(60, TimeUnit.SECONDS).ok());
            assertTrue(client.send(table + "(id,s)", true, rows, key).get(60, TimeUnit.SECONDS).ok(),
                    "a retry of a committed batch is answered as committed");
            assertTrue(client.send(table + "(id,s)", true, rows, other).get(60, TimeUnit.SECONDS).ok());
        }
        assertEquals(2, CH.count(table), "the retry was not inserted again; another key was");
    }

    /** A kittenhouse server (not at hand: a scripted one) would take an idempotency key for rows. */
    @Test
    void anIdempotencyKeyIsNotSentToAServerThatDidNotAdvertiseDedup() throws Exception {
        byte[] key = new byte[Kitten.IDEMPOTENCY_KEY_BYTES];
        try (TinyKittenServer kittenhouse = TinyKittenServer.meowing(r -> ResponseFrame.OK);
             KittenClient client = client(kittenhouse.hostPort(), KittenOptions.defaults())) {
            client.send("db.t(a)", false, bytes("(1)"), key).get(60, TimeUnit.SECONDS);
            assertEquals(new TinyKittenServer.Received(0, "db.t(a)", "(1)", null), kittenhouse.requests.get(0));
            // kittenhouse's handshake, asking for idempotency keys (its server ignores the header)
            assertEquals("KITTEN / HTTP/1.1\r\nX-Catflap-Features: dedup\r\n\r\n", kittenhouse.handshakes.get(0));
        }
    }

    @Test
    void rejectedRowsCompleteExceptionallyWithClickHousesErrorAndTheNextRequestGoesOn() throws Exception {
        String table = table();
        try (Aggregator aggregator = aggregator(null);
             KittenClient client = client(aggregator, KittenOptions.defaults())) {
            CompletableFuture<ResponseFrame> bad = client.send(table + "(id,s)", false, bytes("('bad','x')"));
            CompletableFuture<ResponseFrame> good = client.send(table + "(id,s)", true,
                    new RowBinary().row(7, "good").bytes());
            ExecutionException e = assertThrows(ExecutionException.class, () -> bad.get(60, TimeUnit.SECONDS));
            InsertException ie = assertInstanceOf(InsertException.class, e.getCause());
            assertTrue(ie.rowsRejected(), ie.toString());
            assertTrue(ie.clickHouseCode() > 0, ie.toString());
            assertTrue(ie.serverMessage().contains("DB::Exception"), ie.serverMessage());
            assertTrue(good.get(60, TimeUnit.SECONDS).ok());
        }
        assertEquals(1, CH.count(table, "id = 7 AND s = 'good'"));
        assertEquals(1, CH.count(table));
    }

    /** Fault injection: the server drops every connection. */
    @Test
    void reconnectsAfterTheConnectionIsLost() throws Exception {
        try (TinyKittenServer server = TinyKittenServer.meowing(r -> ResponseFrame.OK);
             KittenClient client = client(server.hostPort(), KittenOptions.defaults())) {
            client.send("t", false, bytes("(1)")).get(60, TimeUnit.SECONDS);
            server.dropConnections();
            // The first send after the drop may hit the dead connection before the client noticed; a later one
            // must go through on a new connection.
            Await.until("a send on a new connection", () -> {
                try {
                    return client.send("t", false, bytes("(2)")).get(60, TimeUnit.SECONDS).ok();
                } catch (ExecutionException e) {
                    assertInstanceOf(IOException.class, e.getCause());
                    return false;
                }
            });
            assertEquals(2, server.connections.get());
        }
    }

    @Test
    void aBearerTokenOpensAnAggregatorThatRequiresOneAndLz4BodiesLandWhole() throws Exception {
        String table = table();
        String payload = "x".repeat(10_000);
        try (Aggregator aggregator = aggregator(TokenFile.parse(List.of(TOKEN + " " + ClickHouseServer.TEST_DATABASE
                + ".*")));
             KittenClient client = client(aggregator, KittenOptions.defaults().withBearerToken(TOKEN).withLz4(true))) {
            assertTrue(client.send(table + "(id,s)", false, bytes("(1,'" + payload + "')"))
                    .get(60, TimeUnit.SECONDS).ok());
        }
        assertEquals(1, CH.count(table, "id = 1 AND s = '" + payload + "'"));
    }

    /** TLS carries KITTEN, and the HTTP side (health checks, fallback, queries) shares the context. */
    @Test
    void tlsCarriesKittenAndAnUntrustedCertificateIsAnErrorNotAFallback(@TempDir Path dir, @TempDir Path otherDir)
            throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        TestCertificates.Pem cert = certs.server("aggregator");
        KittenOptions tls = KittenOptions.defaults().withTls(KittenOptions.tls(certs.ca(), null, null));
        String table = table();
        ExecutorService http = Executors.newCachedThreadPool();
        try (Aggregator aggregator = Aggregator.start(config().tls(cert.certificate(), cert.privateKey()));
             KittenClient client = client(aggregator, tls);
             KittenDestination destination = new KittenDestination("127.0.0.1:" + aggregator.port(), group, http,
                     tls, Duration.ofHours(1));
             KittenClient untrusting = client(aggregator, KittenOptions.defaults()
                     .withTls(KittenOptions.tls(TestCertificates.create(otherDir).ca(), null, null)))) {
            assertTrue(client.send(table + "(id,s)", false, bytes("(1,'tls')")).get(60, TimeUnit.SECONDS).ok());
            destination.checkAlive().get(60, TimeUnit.SECONDS);   // SELECT 42 over HTTPS, through to ClickHouse
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> untrusting.send(table + "(id,s)", false, bytes("(2,'no')")).get(60, TimeUnit.SECONDS));
            assertInstanceOf(SSLHandshakeException.class, e.getCause());
        } finally {
            http.shutdownNow();
        }
        assertEquals(1, CH.count(table));
    }

    @Test
    void aRefusedTokenIsAnErrorNotAFallback() throws Exception {
        try (Aggregator aggregator = aggregator(TokenFile.parse(List.of(TOKEN + " *")));
             KittenClient client = client(aggregator, KittenOptions.defaults().withBearerToken("wrong"))) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.send(table() + "(id,s)", false, bytes("(1,'a')")).get(60, TimeUnit.SECONDS));
            assertEquals(401, assertInstanceOf(InsertException.class, e.getCause()).status());
        }
    }

    @Test
    void clickHouseItselfIsReportedAsNotSpeakingKitten() throws Exception {
        try (KittenClient client = client(CH.host() + ":" + CH.httpPort(), KittenOptions.defaults())) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.send(table() + "(id,s)", false, bytes("(1,'a')")).get(60, TimeUnit.SECONDS));
            assertInstanceOf(KittenUnsupportedException.class, e.getCause());
        }
    }

    /** Fault injection: a peer that accepts the connection and never answers the handshake. */
    @Test
    void silentPeerIsReportedAsUnsupportedAfterTheHandshakeTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0);
             KittenClient client = client("127.0.0.1:" + silent.getLocalPort(), new KittenOptions(null, false,
                     Duration.ofMillis(300), Duration.ofSeconds(5), Duration.ofSeconds(5), null))) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.send("t", false, bytes("(1)")).get(60, TimeUnit.SECONDS));
            assertInstanceOf(KittenUnsupportedException.class, e.getCause());
        }
    }

    /** Fault injection: a stuck aggregator that takes requests and never answers them. */
    @Test
    void unansweredRequestTimesOut() throws Exception {
        CompletableFuture<ResponseFrame> never = new CompletableFuture<>();
        try (TinyKittenServer server = TinyKittenServer.meowing(r -> never.join());
             KittenClient client = client(server.hostPort(), new KittenOptions(null, false, Duration.ofSeconds(5),
                     Duration.ofMillis(300), Duration.ofSeconds(30), null))) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.send("t", false, bytes("(1)")).get(60, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("did not answer in time"), e.getCause().toString());
        } finally {
            never.complete(ResponseFrame.OK);
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
                    () -> client.send("t", false, bytes("(1)")).get(60, TimeUnit.SECONDS));
            assertInstanceOf(IOException.class, e.getCause());
        }
    }
}
