package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.testkit.ClickHouseServer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One broken body among 50 good senders' bodies sent at once into the same batch, against the real ClickHouse:
 * every good row lands exactly once with its values, and only the broken body's sender gets 400 with the reason.
 */
class BrokenBodyIsolationIT {
    private static final int SENDERS = 50;
    private static final int ROWS = 3;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static ClickHouseServer ch;
    private static Aggregator agg;

    @BeforeAll
    static void start() throws Exception {
        ch = ClickHouseServer.shared();
        // a long flush interval and gap: the concurrent bodies of one round that arrive after its first one meet in
        // one open batch
        agg = Aggregator.start(TestAggregators.local(ch.httpUrl()).flushIntervalMillis(3_000)
                .minFlushGapMillis(3_000));
    }

    @AfterAll
    static void stop() {
        agg.close();
    }

    @Test
    void valuesWithASemicolon() throws Exception {
        String table = table("bad_values_semicolon");
        round(table, "Values", sender -> text(sender, "(%d,'%s')", ","),
                "(9001,'bad');(9002,'swallowed')".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void valuesWithTrailingGarbage() throws Exception {
        String table = table("bad_values_garbage");
        round(table, "Values", sender -> text(sender, "(%d,'%s')", ","),
                "(9001,'bad') (9002".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void csvWithAnUnclosedQuote() throws Exception {
        String table = table("bad_csv");
        round(table, "CSV", sender -> text(sender, "%d,\"%s\"\n", ""),
                "9001,\"unclosed\n".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void rowBinaryWithStrayBytes() throws Exception {
        String table = table("bad_rowbinary");
        byte[] bad = concat(rowBinary(9001, "bad"), new byte[] {7, 7, 7});
        // the columns' layout is read from ClickHouse on the table's first RowBinary body (inserted on its own
        // meanwhile): until then a broken body goes to ClickHouse alone
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        HttpResponse<String> r;
        do {
            r = post(table, "RowBinary", bad);
        } while (!r.body().contains("does not end on a row boundary") && System.nanoTime() < deadline);
        assertEquals(0, ch.count(table), "nothing of the broken body was inserted: " + r.body());
        round(table, "RowBinary", sender -> {
            byte[] body = new byte[0];
            for (int row = 0; row < ROWS; row++) {
                body = concat(body, rowBinary(id(sender, row), value(sender, row)));
            }
            return body;
        }, bad);
    }

    /** As ClickHouse 18.16: an empty INSERT is 200 into a table that exists, its error into one that does not. */
    @Test
    void anEmptyBodyIsAnsweredAsClickHouseAnswersIt() throws Exception {
        String table = table("empty_body");
        assertEquals(200, post(table, "CSV", new byte[0]).statusCode());
        HttpResponse<String> missing = post(table + "_missing", "CSV", new byte[0]);
        assertEquals(404, missing.statusCode(), missing.body());
        assertTrue(missing.body().startsWith("Code: 60"), missing.body());
        assertEquals(0, ch.count(table));
    }

    /** A chunked body cut by a bad chunk: 400, and none of the chunks that arrived before it is inserted. */
    @Test
    void aMalformedChunkedBodyInsertsNothing() throws Exception {
        String table = table("bad_chunked");
        String query = URLEncoder.encode("INSERT INTO " + table + " (a, s) FORMAT CSV", StandardCharsets.UTF_8);
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", agg.port())) {
            socket.getOutputStream().write(("POST /?query=" + query + " HTTP/1.1\r\nHost: x\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n" + "6\r\n1,\"a\"\n\r\n" + "zz\r\n2,b\n\r\n0\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("HTTP/1.1 400 ") && answer.contains("Malformed request body"), answer);
        }
        assertEquals(0, ch.count(table));
    }

    /** 50 good bodies and one bad one, sent at once; then the checks. */
    private static void round(String table, String format, IntFunction<byte[]> good, byte[] bad) throws Exception {
        List<CompletableFuture<HttpResponse<String>>> goods = new ArrayList<>();
        CompletableFuture<HttpResponse<String>> broken = null;
        for (int sender = 0; sender < SENDERS; sender++) {
            goods.add(postAsync(table, format, good.apply(sender)));
            if (sender == SENDERS / 2) {
                broken = postAsync(table, format, bad);
            }
        }
        for (int sender = 0; sender < SENDERS; sender++) {
            HttpResponse<String> r = goods.get(sender).get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), "good sender " + sender + ": " + r.body());
        }
        HttpResponse<String> r = broken.get(60, TimeUnit.SECONDS);
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains(format.equals("Values") ? "VALUES" : format)
                && r.body().contains(" body does not end on a row boundary: "), r.body());

        assertEquals(SENDERS * ROWS, ch.count(table), "every good row, nothing else");
        assertEquals(SENDERS * ROWS, Long.parseLong(ch.query("SELECT uniqExact(a) FROM " + table + " WHERE s ="
                + " concat('sender ', toString(intDiv(a, 10)), ' row ', toString(a % 10)) FORMAT TSV").strip()),
                "each good row once, with its own value");
    }

    private static String table(String prefix) {
        return ch.createTable(prefix, "a UInt32, s String");
    }

    private static int id(int sender, int row) {
        return sender * 10 + row;
    }

    private static String value(int sender, int row) {
        return "sender " + sender + " row " + row;
    }

    private static byte[] text(int sender, String rowFormat, String separator) {
        List<String> rows = new ArrayList<>();
        for (int row = 0; row < ROWS; row++) {
            rows.add(String.format(rowFormat, id(sender, row), value(sender, row)));
        }
        return String.join(separator, rows).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] rowBinary(int a, String s) {
        byte[] text = s.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + 1 + text.length).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(a).put((byte) text.length).put(text).array();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }

    private static HttpResponse<String> post(String table, String format, byte[] body) throws Exception {
        return postAsync(table, format, body).get(60, TimeUnit.SECONDS);
    }

    private static CompletableFuture<HttpResponse<String>> postAsync(String table, String format, byte[] body) {
        String query = "INSERT INTO " + table + " (a, s) " + (format.equals("Values") ? "VALUES" : "FORMAT " + format);
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agg.port() + "/?query="
                        + URLEncoder.encode(query, StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
