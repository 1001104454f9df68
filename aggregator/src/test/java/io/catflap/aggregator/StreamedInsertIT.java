package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.testkit.ClickHouseServer;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** HTTP bodies larger than a batch, or in formats that cannot be merged, go upstream as they arrive. */
class StreamedInsertIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static ClickHouseServer ch;
    private static Aggregator agg;

    @BeforeAll
    static void start() throws Exception {
        ch = ClickHouseServer.shared();
        agg = Aggregator.start(TestAggregators.local(ch.httpUrl()).batchBytes(4096).maxRequestBytes(8 << 20));
    }

    @AfterAll
    static void stop() {
        agg.close();
    }

    private static URI insert(String sql) {
        return URI.create("http://127.0.0.1:" + agg.port() + "/?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8));
    }

    private static String tsv(int rows) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < rows; i++) {
            b.append(i).append('\t').append("row number ").append(i).append('\n');
        }
        return b.toString();
    }

    @Test
    void aBodyLargerThanABatchIsStreamedAsItsOwnInsert() throws Exception {
        String table = ch.createTable("streamed", "a UInt32, s String");
        byte[] body = tsv(100_000).getBytes(StandardCharsets.UTF_8);   // ~2 MB, 500 batches' worth
        // chunked: the aggregator learns the size only while reading
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(insert("INSERT INTO " + table + " FORMAT TSV"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(100_000, ch.count(table));
        assertEquals(1, ch.insertQueryCount(table), "one insert, not merged or split");
        HttpResponse<String> sized = HTTP.send(HttpRequest.newBuilder(insert("INSERT INTO " + table + " FORMAT TSV"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, sized.statusCode(), sized.body());
        assertEquals(200_000, ch.count(table));
    }

    @Test
    void anEarlyErrorFromClickHouseIsPassedOn() throws Exception {
        byte[] body = tsv(50_000).getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(insert("INSERT INTO catflap_test.no_such FORMAT TSV"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, r.statusCode());
        assertTrue(r.body().startsWith("Code: 60"), r.body());
    }

    @Test
    void aClientVanishingMidBodyCommitsNothing() throws Exception {
        String table = ch.createTable("streamed_gone", "a UInt32, s String");
        byte[] body = tsv(50_000).getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", agg.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /?query=" + URLEncoder.encode("INSERT INTO " + table + " FORMAT TSV", StandardCharsets.UTF_8)
                    + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, body.length / 2);
            out.flush();
            Thread.sleep(300);
        }
        Thread.sleep(500);
        assertEquals(0, ch.count(table));
        // the aggregator still works
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(insert("INSERT INTO " + table + " FORMAT TSV"))
                .POST(HttpRequest.BodyPublishers.ofString("1\tx\n")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals(1, ch.count(table));
    }
}
