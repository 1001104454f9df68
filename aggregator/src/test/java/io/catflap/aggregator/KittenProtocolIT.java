package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.ingest.TokenFile;
import io.catflap.protocol.HandshakeReply;
import io.catflap.protocol.Kitten;
import io.catflap.protocol.KittenStreams;
import io.catflap.protocol.Lz4Body;
import io.catflap.protocol.ResponseFrame;
import io.catflap.testkit.ClickHouseServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The KITTEN side over raw sockets, as a kittenhouse client speaks it, against the real ClickHouse. */
class KittenProtocolIT {
    private static ClickHouseServer ch;
    private static Aggregator agg;
    private static String table;

    @BeforeAll
    static void start() throws Exception {
        ch = ClickHouseServer.shared();
        table = ch.createTable("kitten_proto", "a UInt32, s String");
        agg = Aggregator.start(TestAggregators.local(ch.httpUrl()).flushIntervalMillis(50).maxRequestBytes(4096));
    }

    @AfterAll
    static void stop() {
        agg.close();
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(20_000);
        return s;
    }

    private static void frame(OutputStream out, int flags, String table, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        KittenStreams.writeRequest(out, flags, table, b, 0, b.length);
    }

    private static ResponseFrame answer(InputStream in) throws IOException {
        return KittenStreams.readResponse(in, Kitten.MAX_RESPONSE_MESSAGE_BYTES);
    }

    @Test
    void kittenhouseHandshakeGetsExactlyMeowAndRowsLand() throws IOException {
        try (Socket s = connect(agg.port())) {
            OutputStream out = s.getOutputStream();
            out.write("KITTEN / HTTP/1.1\n\n".getBytes(StandardCharsets.US_ASCII));
            byte[] expected = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nMEOW".getBytes(StandardCharsets.US_ASCII);
            assertArrayEquals(expected, s.getInputStream().readNBytes(expected.length));
            frame(out, 0, table + "(a,s)", "(1,'one'),(2,'two')");
            assertEquals(ResponseFrame.OK, answer(s.getInputStream()));
            byte[] lz4 = Lz4Body.compress("(3,'three')".getBytes(StandardCharsets.UTF_8), 0, 11);
            KittenStreams.writeRequest(out, Kitten.FLAG_LZ4, table + "(a,s)", lz4, 0, lz4.length);
            assertEquals(ResponseFrame.OK, answer(s.getInputStream()));
        }
        assertEquals(3, ch.count(table, "a IN (1,2,3)"));
    }

    @Test
    void sameTableStringInRowBinaryAfterValuesIsInsertedAsRowBinary() throws IOException {
        try (Socket s = connect(agg.port())) {
            KittenStreams.writeHandshake(s.getOutputStream(), null);
            assertTrue(KittenStreams.readHandshakeReply(s.getInputStream()).meow());
            frame(s.getOutputStream(), 0, table + "(a,s)", "(30,'values')");
            assertEquals(ResponseFrame.OK, answer(s.getInputStream()));
            byte[] row = {31, 0, 0, 0, 2, 'r', 'b'};   // a = 31 (UInt32 LE), s = "rb"
            KittenStreams.writeRequest(s.getOutputStream(), Kitten.FLAG_ROW_BINARY, table + "(a,s)", row, 0,
                    row.length);
            assertEquals(ResponseFrame.OK, answer(s.getInputStream()));
        }
        assertEquals(1, ch.count(table, "a = 30 AND s = 'values'"));
        assertEquals(1, ch.count(table, "a = 31 AND s = 'rb'"));
    }

    @Test
    void badTableStringIsAnsweredAndTheConnectionGoesOn() throws IOException {
        double before = TestAggregators.badRequests(agg, "bad_table");
        try (Socket s = connect(agg.port())) {
            KittenStreams.writeHandshake(s.getOutputStream(), null);
            assertTrue(KittenStreams.readHandshakeReply(s.getInputStream()).meow());
            frame(s.getOutputStream(), 0, "db.t(a", "(1)");
            ResponseFrame r = answer(s.getInputStream());
            assertEquals(400, r.status());
            assertTrue(r.message().contains("position"), r.message());
            frame(s.getOutputStream(), 0, table + "(a,s)", "(10,'after')");
            assertEquals(ResponseFrame.OK, answer(s.getInputStream()));
        }
        assertEquals(before + 1, TestAggregators.badRequests(agg, "bad_table"));
        assertEquals(1, ch.count(table, "a = 10"));
    }

    @Test
    void unknownTableGetsClickHousesError() throws IOException {
        try (Socket s = connect(agg.port())) {
            KittenStreams.writeHandshake(s.getOutputStream(), null);
            assertTrue(KittenStreams.readHandshakeReply(s.getInputStream()).meow());
            frame(s.getOutputStream(), 0, "catflap_test.no_such_table(a)", "(1)");
            ResponseFrame r = answer(s.getInputStream());
            assertEquals(404, r.status());
            assertTrue(r.message().startsWith("Code: 60"), r.message());
        }
    }

    @Test
    void oversizeBodyGets413AndTheConnectionCloses() throws IOException {
        double before = TestAggregators.badRequests(agg, "body_too_large");
        try (Socket s = connect(agg.port())) {
            KittenStreams.writeHandshake(s.getOutputStream(), null);
            assertTrue(KittenStreams.readHandshakeReply(s.getInputStream()).meow());
            String big = "(1,'" + "x".repeat(5000) + "')";
            frame(s.getOutputStream(), 0, table + "(a,s)", big);
            ResponseFrame r = answer(s.getInputStream());
            assertEquals(413, r.status());
            assertTrue(r.message().contains("4096"), r.message());
            assertEquals(-1, s.getInputStream().read(), "closed");
        }
        assertEquals(before + 1, TestAggregators.badRequests(agg, "body_too_large"));
    }

    @Test
    void unknownFlagsGet400AndTheConnectionCloses() throws IOException {
        try (Socket s = connect(agg.port())) {
            KittenStreams.writeHandshake(s.getOutputStream(), null);
            assertTrue(KittenStreams.readHandshakeReply(s.getInputStream()).meow());
            s.getOutputStream().write(new byte[] {(byte) 0x80, 1, 0, 't', 0, 0, 0, 0});
            assertEquals(400, answer(s.getInputStream()).status());
            assertEquals(-1, s.getInputStream().read());
        }
    }

    @Test
    void clientVanishingMidBodyLeavesNoRows() throws Exception {
        double before = TestAggregators.badRequests(agg, "client_gone_mid_request");
        String t = ch.createTable("kitten_gone", "a UInt32");
        try (Socket s = connect(agg.port())) {
            KittenStreams.writeHandshake(s.getOutputStream(), null);
            assertTrue(KittenStreams.readHandshakeReply(s.getInputStream()).meow());
            byte[] body = "(1),(2),(3)".getBytes(StandardCharsets.US_ASCII);
            byte[] tableBytes = t.getBytes(StandardCharsets.US_ASCII);
            OutputStream out = s.getOutputStream();
            out.write(new byte[] {0, (byte) tableBytes.length, 0});
            out.write(tableBytes);
            out.write(new byte[] {(byte) (body.length + 100), 0, 0, 0});
            out.write(body);
            out.flush();
            Thread.sleep(200);
        }
        assertTrue(LoadClients.await(() -> TestAggregators.badRequests(agg, "client_gone_mid_request") > before, 10_000));
        try (Socket s = connect(agg.port())) {
            KittenStreams.writeHandshake(s.getOutputStream(), null);
            assertTrue(KittenStreams.readHandshakeReply(s.getInputStream()).meow());
            frame(s.getOutputStream(), 0, t, "(7)");
            assertEquals(ResponseFrame.OK, answer(s.getInputStream()));
        }
        assertEquals(1, ch.count(t), "only the complete request's row");
    }

    @Test
    void tokensGateTheHandshakeAndTheTables() throws Exception {
        TokenFile tokens = TokenFile.parse(List.of("# test", "tok-A catflap_test.*", "tok-B other.t"));
        try (Aggregator secured = Aggregator.start(TestAggregators.local(ch.httpUrl())
                .flushIntervalMillis(50).tokens(tokens))) {
            try (Socket s = connect(secured.port())) {
                KittenStreams.writeHandshake(s.getOutputStream(), null);
                HandshakeReply.Result r = KittenStreams.readHandshakeReply(s.getInputStream());
                assertFalse(r.meow());
                assertEquals(401, r.status());
            }
            try (Socket s = connect(secured.port())) {
                KittenStreams.writeHandshake(s.getOutputStream(), "tok-B");
                assertTrue(KittenStreams.readHandshakeReply(s.getInputStream()).meow());
                frame(s.getOutputStream(), 0, table + "(a,s)", "(20,'no')");
                assertEquals(403, answer(s.getInputStream()).status());
                frame(s.getOutputStream(), 0, table + "(a,s)", "(20,'again')");
                assertEquals(403, answer(s.getInputStream()).status());
            }
            try (Socket s = connect(secured.port())) {
                KittenStreams.writeHandshake(s.getOutputStream(), "tok-A");
                assertTrue(KittenStreams.readHandshakeReply(s.getInputStream()).meow());
                frame(s.getOutputStream(), 0, table + "(a,s)", "(21,'yes')");
                assertEquals(ResponseFrame.OK, answer(s.getInputStream()));
            }
        }
        assertEquals(0, ch.count(table, "a = 20"));
        assertEquals(1, ch.count(table, "a = 21"));
    }
}
