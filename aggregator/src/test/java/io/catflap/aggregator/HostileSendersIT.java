package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.protocol.Kitten;
import io.catflap.protocol.KittenStreams;
import io.catflap.protocol.ResponseFrame;
import io.catflap.testkit.ClickHouseServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Connections that stall, send garbage, never finish a handshake, trickle heads or bodies below the minimum rate, or
 * never read their answers (a large SELECT result; KITTEN frames pipelined without end), all open while good KITTEN
 * and HTTP senders insert into the real ClickHouse: every good row lands exactly once, pings and new handshakes are
 * answered meanwhile, each attacker gets its 408 or its closed connection, and every read permit comes back.
 */
class HostileSendersIT {
    private static final int GOOD_KITTEN = 50;
    private static final int GOOD_HTTP = 20;
    private static final int REQUESTS = 10;
    private static final int ROWS = 5;
    private static final long DEADLINE_MILLIS = 120_000;
    /** Ids of the rows that the connections which never read their answers insert. */
    private static final int FLOOD_IDS = 1_000_000;

    private final List<Socket> sockets = new ArrayList<>();

    private Socket connect(Aggregator agg) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);   // a non-reader's answers pile up on the server side soon
        s.connect(new InetSocketAddress("127.0.0.1", agg.port()));
        s.setSoTimeout((int) DEADLINE_MILLIS);
        synchronized (sockets) {
            sockets.add(s);
        }
        return s;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Reads until the server closes; returns what came (a reset counts as closed). */
    private static String untilClosed(Socket s) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            for (int n; (n = in.read(buf)) >= 0; ) {
                got.write(buf, 0, n);
            }
        } catch (IOException reset) {
            // closed with unread bytes in its buffer: a reset
        }
        return got.toString(StandardCharsets.UTF_8);
    }

    /** Writes {@code bytes} one at a time, {@code pauseMillis} apart, until the server closes; then what it said. */
    private static String trickle(Socket s, byte[] bytes, long pauseMillis) throws InterruptedException {
        try {
            OutputStream out = s.getOutputStream();
            for (byte b : bytes) {
                out.write(b);
                out.flush();
                Thread.sleep(pauseMillis);
            }
        } catch (IOException closed) {
            // the server gave up on us, as it should
        }
        return untilClosed(s);
    }

    /** Handshakes, then writes one-row frames without reading anything until the connection closes. */
    private static Void flood(Socket s, String table, int firstId) {
        try {
            OutputStream out = s.getOutputStream();
            KittenStreams.writeHandshake(out, null);
            for (int id = firstId; ; id++) {
                out.write(frame(table + "(id)", "(" + id + ")"));
            }
        } catch (IOException closed) {
            return null;
        }
    }

    private static byte[] frame(String table, String body) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        KittenStreams.writeRequest(out, 0, table, b, 0, b.length);
        return out.toByteArray();
    }

    private static String rows(int sender, int request) {
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < ROWS; r++) {
            sb.append(r == 0 ? "" : ",").append('(').append((sender * REQUESTS + request) * ROWS + r).append(')');
        }
        return sb.toString();
    }

    private static double counter(Aggregator agg, String name, String... tags) {
        var c = agg.registry().find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEADLINE_MILLIS);
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < end, "timed out waiting for: " + what);
            Thread.sleep(20);
        }
    }

    @Test
    void goodSendersFlowWhileAttackersHoldSockets() throws Exception {
        ClickHouseServer ch = ClickHouseServer.shared();
        String table = ch.createTable("hostile", "id UInt32");
        ExecutorService pool = Executors.newCachedThreadPool();
        try (Aggregator agg = Aggregator.start(TestAggregators.local(ch.httpUrl()).flushIntervalMillis(50)
                .readTimeoutMillis(1_000).minReadRate(1_000).writeBufferBytes(4096).unwritableTimeoutMillis(1_000))) {
            List<Future<String>> stallers = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                Socket s = connect(agg);
                s.getOutputStream().write('P');
                stallers.add(pool.submit(() -> untilClosed(s)));
            }
            Random random = new Random(9);
            List<Future<String>> garbage = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                byte[] junk = new byte[200];
                random.nextBytes(junk);
                junk[0] = 'X';   // not the start of a KITTEN handshake: the HTTP decoder gets it
                Socket s = connect(agg);
                s.getOutputStream().write(junk);
                garbage.add(pool.submit(() -> untilClosed(s)));
            }
            List<Future<String>> handshakes = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                Socket s = connect(agg);
                s.getOutputStream().write(ascii("KITTEN / HTTP/1.1\n"));   // the empty line never comes
                handshakes.add(pool.submit(() -> untilClosed(s)));
            }
            List<Future<String>> slowHeads = new ArrayList<>();
            List<Future<String>> slowBodies = new ArrayList<>();
            String insert = "/?query=" + URLEncoder.encode("INSERT INTO " + table + " (id) VALUES",
                    StandardCharsets.UTF_8);
            for (int i = 0; i < 5; i++) {
                Socket head = connect(agg);
                // bytes sent while waiting for a permit arrive at once: the head must still be unfinished then
                slowHeads.add(pool.submit(() -> trickle(head,
                        ascii("POST " + insert + " HTTP/1.1\r\nHost: x\r\nX-Pad: " + "a".repeat(4000)), 100)));
                Socket body = connect(agg);
                body.getOutputStream().write(ascii("POST " + insert + " HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Length: 10000\r\n\r\n"));
                slowBodies.add(pool.submit(() -> trickle(body, ascii("(0),".repeat(2500)), 100)));
            }
            // a large answer that is never read: kernel buffers fill within a few MiB, then the server's own
            String big = "/?query=" + URLEncoder.encode("SELECT number FROM system.numbers LIMIT 100000000",
                    StandardCharsets.UTF_8);
            for (int i = 0; i < 20; i++) {
                connect(agg).getOutputStream().write(ascii("GET " + big + " HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
            }

            // KITTEN frames written back to back, answers never read: no more than a fair share is taken from them
            List<Socket> flooding = new ArrayList<>();
            List<Future<?>> flooders = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                int first = FLOOD_IDS + i * 100_000;
                Socket s = connect(agg);
                flooding.add(s);
                flooders.add(pool.submit(() -> flood(s, table, first)));
            }

            List<Future<?>> good = new ArrayList<>();
            for (int sender = 0; sender < GOOD_KITTEN; sender++) {
                int id = sender;
                good.add(pool.submit(() -> {
                    try (Socket s = connect(agg)) {
                        KittenStreams.writeHandshake(s.getOutputStream(), null);
                        assertTrue(KittenStreams.readHandshakeReply(s.getInputStream()).meow());
                        for (int r = 0; r < REQUESTS; r++) {
                            s.getOutputStream().write(frame(table + "(id)", rows(id, r)));
                            assertEquals(ResponseFrame.OK, KittenStreams.readResponse(s.getInputStream(),
                                    Kitten.MAX_RESPONSE_MESSAGE_BYTES));
                        }
                    }
                    return null;
                }));
            }
            for (int sender = GOOD_KITTEN; sender < GOOD_KITTEN + GOOD_HTTP; sender++) {
                int id = sender;
                good.add(pool.submit(() -> {
                    try (Socket s = connect(agg)) {
                        for (int r = 0; r < REQUESTS; r++) {
                            byte[] body = ascii(rows(id, r));
                            s.getOutputStream().write(ascii("POST " + insert + " HTTP/1.1\r\nHost: x\r\n"
                                    + "Content-Length: " + body.length + "\r\n\r\n"));
                            s.getOutputStream().write(body);
                            String head = TestAggregators.readHttpHead(s.getInputStream());
                            assertTrue(head.startsWith("HTTP/1.1 200"), head);
                        }
                    }
                    return null;
                }));
            }

            // while the attack goes on, a ping and a new handshake get through
            try (Socket ping = connect(agg)) {
                ping.getOutputStream().write(ascii("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
                String head = TestAggregators.readHttpHead(ping.getInputStream());
                assertTrue(head.startsWith("HTTP/1.1 200"), head);
            }
            try (Socket kitten = connect(agg)) {
                KittenStreams.writeHandshake(kitten.getOutputStream(), null);
                assertTrue(KittenStreams.readHandshakeReply(kitten.getInputStream()).meow());
            }

            for (Future<?> f : good) {
                get(agg, f);
            }
            int expected = (GOOD_KITTEN + GOOD_HTTP) * REQUESTS * ROWS;
            assertEquals(expected, ch.count(table, "id < " + FLOOD_IDS), "every good row landed once");
            assertEquals(String.valueOf(expected), ch.query("SELECT uniqExact(id) FROM " + table
                    + " WHERE id < " + FLOOD_IDS).strip(), "and no row twice");
            for (Socket s : flooding) {
                s.close();   // what the server still held of them is dropped (the leak detector watches)
            }
            for (Future<?> f : flooders) {
                get(agg, f);
            }
            assertEquals(ch.query("SELECT count() FROM " + table + " WHERE id >= " + FLOOD_IDS).strip(),
                    ch.query("SELECT uniqExact(id) FROM " + table + " WHERE id >= " + FLOOD_IDS).strip(),
                    "what the flooders got in, once each");

            for (Future<String> f : stallers) {
                String answer = get(agg, f);
                assertTrue(answer.startsWith("HTTP/1.1 408") && answer.contains("Code: 209"), answer);
            }
            for (Future<String> f : slowHeads) {
                assertTrue(get(agg, f).startsWith("HTTP/1.1 408"));
            }
            for (Future<String> f : slowBodies) {
                assertTrue(get(agg, f).startsWith("HTTP/1.1 408"));
            }
            for (Future<String> f : handshakes) {
                assertEquals("", get(agg, f), "closed without an answer");
            }
            for (Future<String> f : garbage) {
                String answer = get(agg, f);
                assertTrue(answer.startsWith("HTTP/1.1 4"), "a 400 or a 408: " + answer);
            }
            await(() -> counter(agg, "catflap.connections.unwritable_closed") >= 20, "non-readers closed");
            assertTrue(counter(agg, "catflap.requests.read_timeout", "phase", "head") >= 60 + 50 + 5);
            assertTrue(counter(agg, "catflap.requests.read_timeout", "phase", "body") >= 5);
            await(() -> agg.registry().get("catflap.readers.in_use").gauge().value() == 0, "permits back");
        } finally {
            synchronized (sockets) {
                for (Socket s : sockets) {
                    s.close();
                }
            }
            pool.shutdownNow();
        }
    }

    /** The outcome of an attacker or sender; on a timeout, fails with the gate's state. */
    private static <T> T get(Aggregator agg, Future<T> f) throws Exception {
        try {
            return f.get(DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no outcome in time; in use " + gauge(agg, "catflap.readers.in_use")
                    + ", waiting " + gauge(agg, "catflap.readers.waiting") + ", open "
                    + gauge(agg, "catflap.connections.open"), e);
        }
    }

    private static double gauge(Aggregator agg, String name) {
        return agg.registry().get(name).gauge().value();
    }
}
