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
import java.io.OutputStream;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Connections idle between requests are closed after the idle timeout, over KITTEN and HTTP keep-alive; those
 * waiting for an ack, a SELECT's result or a read permit, or in the middle of a request, are not.
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
                String head = readHead(s.getInputStream());
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
    void connectionsWaitingForAnAckOrAPermitOrMidRequestStayOpen() throws Exception {
        long slow = 6 * IDLE_MILLIS;
        try (FakeClickHouse upstream = new FakeClickHouse(r -> FakeClickHouse.Answer.ok(slow));
             Aggregator agg = Aggregator.start(TestAggregators.local(upstream.url()).flushIntervalMillis(20)
                     .maxReaders(1).idleTimeoutMillis(IDLE_MILLIS));
             Socket reader = connect(agg)) {
            handshake(reader);
            byte[] f = frame("db.t(a)", "(1)");
            OutputStream out = reader.getOutputStream();
            out.write(Arrays.copyOf(f, 5));          // mid-frame: holds the only read permit
            out.flush();
            Thread.sleep(100);
            Socket waiter = connect(agg);  // a silent connection would be idle: it sends at once
            waiter.getOutputStream().write("KITTEN / HTTP/1.1\n\n".getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(3 * IDLE_MILLIS);           // the waiter waits for the permit meanwhile
            out.write(Arrays.copyOfRange(f, 5, f.length));
            assertTrue(KittenStreams.readHandshakeReply(waiter.getInputStream()).meow());
            waiter.getOutputStream().write(f);
            assertEquals(ResponseFrame.OK, answer(reader), "answered after waiting longer than the idle timeout");
            assertEquals(ResponseFrame.OK, answer(waiter));
            try (Socket select = connect(agg)) {
                select.getOutputStream().write("GET /?query=SELECT%201 HTTP/1.1\r\nHost: x\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                String head = readHead(select.getInputStream());
                assertTrue(head.startsWith("HTTP/1.1 200"), "a slow SELECT is answered: " + head);
                select.getInputStream().readAllBytes();   // until the idle timeout closes it
            }
            assertClosedByServer(reader);
            assertClosedByServer(waiter);
            waiter.close();
            assertEquals(3, idleClosed(agg));
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            sb.append((char) b);
        }
        return sb.toString();
    }
}
