package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.protocol.Handshake;
import io.catflap.protocol.HandshakeReply;
import io.catflap.protocol.Kitten;
import io.catflap.protocol.KittenStreams;
import io.catflap.protocol.ResponseFrame;
import io.catflap.testkit.ClickHouseServer;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Requests with an idempotency key (flag 0x04) land once in the real ClickHouse however often they are sent. */
class KittenDedupIT {
    private static final byte[] ROWS = "(1,'a'),(2,'b'),(3,'c')".getBytes(StandardCharsets.UTF_8);

    private static ClickHouseServer ch;
    private static Aggregator agg;

    @BeforeAll
    static void start() throws Exception {
        ch = ClickHouseServer.shared();
        // a flush gap long enough that a repeat sent right after the first request finds it in flight, when the
        // table had an insert just before
        agg = Aggregator.start(TestAggregators.local(ch.httpUrl()).flushIntervalMillis(500).minFlushGapMillis(500));
    }

    @AfterAll
    static void stop() {
        agg.close();
    }

    /** A connection that asked for dedup, checking that it was granted. */
    private static Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", agg.port());
        s.setSoTimeout(20_000);
        s.getOutputStream().write(Handshake.encode(null, List.of(Kitten.FEATURE_DEDUP)));
        HandshakeReply.Result reply = KittenStreams.readHandshakeReply(s.getInputStream());
        assertTrue(reply.dedup(), "the MEOW advertises dedup: " + reply);
        return s;
    }

    private static void send(Socket s, String table, byte[] key) throws IOException {
        KittenStreams.writeRequest(s.getOutputStream(), Kitten.FLAG_IDEMPOTENCY_KEY, table + "(a,s)", key,
                ROWS, 0, ROWS.length);
    }

    private static ResponseFrame answer(Socket s) throws IOException {
        return KittenStreams.readResponse(s.getInputStream(), Kitten.MAX_RESPONSE_MESSAGE_BYTES);
    }

    private static byte[] key(int b) {
        byte[] key = new byte[Kitten.IDEMPOTENCY_KEY_BYTES];
        key[15] = (byte) b;
        return key;
    }

    private static double hits() {
        return agg.registry().get("catflap.dedup.hits").counter().count();
    }

    @Test
    void aKeySentAgainAfterItsAckIsAnsweredWithoutInsertingAgain() throws IOException {
        String table = ch.createTable("dedup_after", "a UInt32, s String");
        double before = hits();
        try (Socket first = connect()) {
            send(first, table, key(1));
            assertEquals(ResponseFrame.OK, answer(first));
        }
        try (Socket again = connect()) { // as a restarted sender would: a new connection
            send(again, table, key(1));
            assertEquals(ResponseFrame.OK, answer(again));
            send(again, table, key(2));
            assertEquals(ResponseFrame.OK, answer(again), "another key inserts");
        }
        assertEquals(2 * 3, ch.count(table));
        assertEquals(before + 1, hits());
    }

    @Test
    void aKeySentAgainWhileInFlightWaitsForTheFirstAnswer() throws IOException {
        String table = ch.createTable("dedup_concurrent", "a UInt32, s String");
        double before = hits();
        try (Socket first = connect(); Socket second = connect()) {
            send(first, table, key(30));   // an insert of the table just before: the next waits out the flush gap
            assertEquals(ResponseFrame.OK, answer(first));
            send(first, table, key(3));
            send(second, table, key(3));
            assertEquals(ResponseFrame.OK, answer(first));
            assertEquals(ResponseFrame.OK, answer(second));
        }
        assertEquals(2 * 3, ch.count(table));
        assertEquals(before + 1, hits());
    }

    @Test
    void aClientThatDidNotAskGetsThePlainMeow() throws IOException {
        try (Socket s = new Socket("127.0.0.1", agg.port())) {
            s.setSoTimeout(20_000);
            KittenStreams.writeHandshake(s.getOutputStream(), null);
            HandshakeReply.Result reply = KittenStreams.readHandshakeReply(s.getInputStream());
            assertTrue(reply.meow());
            assertFalse(reply.dedup());
            assertEquals(List.of(), List.copyOf(reply.features()));
        }
    }
}
