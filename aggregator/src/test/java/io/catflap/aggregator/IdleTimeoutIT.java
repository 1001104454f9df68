package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.protocol.Kitten;
import io.catflap.protocol.KittenStreams;
import io.catflap.protocol.ResponseFrame;
import io.catflap.testkit.ClickHouseServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Connections idle between requests are closed after the idle timeout, over KITTEN and HTTP keep-alive; those
 * waiting for an ack, a SELECT's result or a read permit are not. One stalled in the middle of a request is not idle
 * either, but falls behind the read deadline: it is cut, and its read permit goes to the next connection.
 */
class IdleTimeoutIT {
    private static final long IDLE_MILLIS = 300;

    private static Socket connect(Aggregator agg) throws IOException {
        Socket s = new Socket("127.0.0.1", agg.port());
        s.setSoTimeout(20_000);
        return s;
    }

    private static void handshake(Socket s) throws IOException {
        KittenStreams.writeHandshake(s.getOutputStream(), null);
        assertTrue(KittenStreams.readHandshakeReply(s.getInputStream()).meow());
    }

    private static byte[] frame(String table, String body) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        KittenStreams.writeRequest(out, 0, table, b, 0, b.length);
        return out.toByteArray();
    }

    private static ResponseFrame answer(Socket s) throws IOException {
        return KittenStreams.readResponse(s.getInputStream(), Kitten.MAX_RESPONSE_MESSAGE_BYTES);
    }

    /** Blocks until the aggregator closes the connection (the socket timeout fails the test if it never does). */
    private static void assertClosedByServer(Socket s) throws IOException {
        assertEquals(-1, s.getInputStream().read(), "the aggregator closed the idle connection");
    }

    private static double idleClosed(Aggregator agg) {
        return agg.registry().get("catflap.connections.idle_closed").counter().count();
    }

    @Test
    void idleKittenHttpAndSilentConnectionsAreClosed() throws Exception {
        ClickHouseServer ch = ClickHouseServer.shared();
        String table = ch.createTable("idle", "a UInt32");
        try (Aggregator agg = Aggregator.start(TestAggregators.local(ch.httpUrl()).flushIntervalMillis(50)
                .idleTimeoutMillis(IDLE_MILLIS))) {
            try (Socket s = connect(agg)) {
                handshake(s);
                s.getOutputStream().write(frame(table + "(a)", "(1)"));
                assertEquals(ResponseFrame.OK, answer(s));
                assertClosedByServer(s);
            }
            try (Socket s = connect(agg)) {
                String sql = URLEncoder.encode("INSERT INTO " + table + " (a) VALUES", StandardCharsets.UTF_8);
                s.getOutputStream().write(("POST /?query=" + sql + " HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n"
                        + "(2)").getBytes(StandardCharsets.US_ASCII));
                String head = TestAggregators.readHttpHead(s.getInputStream());
                assertTrue(head.startsWith("HTTP/1.1 200"), head);
                assertFalse(head.toLowerCase(Locale.ROOT).contains("connection: close"), head);
                assertClosedByServer(s);
            }
            try (Socket s = connect(agg)) {
                assertClosedByServer(s);
            }
            assertEquals(2, ch.count(table));
            assertEquals(3, idleClosed(agg));
        }
    }

    @Test
    void connectionsWaitingForAnAckOrAPermitStayOpenButOneStalledMidFrameIsCut() throws Exception {
        long slow = 6 * IDLE_MILLIS;
        try (FakeClickHouse upstream = new FakeClickHouse(r -> FakeClickHouse.Answer.ok(slow));
             Aggregator agg = Aggregator.start(TestAggregators.local(upstream.url()).flushIntervalMillis(20)
                     .maxReaders(1).freeReadBudget(0)   // every request needs the one permit
                     .idleTimeoutMillis(IDLE_MILLIS).readTimeoutMillis(3 * IDLE_MILLIS));
             Socket stalled = connect(agg)) {
            handshake(stalled);
            byte[] f = frame("db.t(a)", "(1)");
            stalled.getOutputStream().write(Arrays.copyOf(f, 5));   // mid-frame: takes the only read permit
            await(() -> readersInUse(agg) == 1);
            Socket waiter = connect(agg);   // a silent connection would be idle: it sends handshake and frame at once
            ByteArrayOutputStream handshakeAndFrame = new ByteArrayOutputStream();
            handshakeAndFrame.writeBytes("KITTEN / HTTP/1.1\n\n".getBytes(StandardCharsets.US_ASCII));
            handshakeAndFrame.writeBytes(f);
            waiter.getOutputStream().write(handshakeAndFrame.toByteArray());
            // the stalled sender is cut after the read deadline, past the idle timeout: the waiter was not idle
            assertClosedByServer(stalled);
            assertEquals(1, readTimeouts(agg, "body"));
            assertTrue(KittenStreams.readHandshakeReply(waiter.getInputStream()).meow(), "the permit came back");
            assertEquals(ResponseFrame.OK, answer(waiter), "answered after waiting longer than the idle timeout");
            try (Socket select = connect(agg)) {
                select.getOutputStream().write("GET /?query=SELECT%201 HTTP/1.1\r\nHost: x\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                String head = TestAggregators.readHttpHead(select.getInputStream());
                assertTrue(head.startsWith("HTTP/1.1 200"), "a slow SELECT is answered: " + head);
                select.getInputStream().readAllBytes();   // until the idle timeout closes it
            }
            assertClosedByServer(waiter);
            waiter.close();
            assertEquals(2, idleClosed(agg), "the waiter and the select, not the stalled sender");
            assertEquals(0, readersInUse(agg));
        }
    }

    private static double readersInUse(Aggregator agg) {
        return agg.registry().get("catflap.readers.in_use").gauge().value();
    }

    private static double readTimeouts(Aggregator agg, String phase) {
        return agg.registry().get("catflap.requests.read_timeout").tag("phase", phase).counter().count();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < end, "condition not met in time");
            Thread.sleep(10);
        }
    }
}
