package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.select.Waits;
import io.catflap.testkit.ClickHouseServer;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** HTTP bodies larger than a batch, or in formats that cannot be merged, go upstream as they arrive. */
class StreamedInsertIT {
    private static ClickHouseServer ch;
    private static Aggregator agg;

    @BeforeAll
    static void start() throws Exception {
        ch = ClickHouseServer.shared();
        // one upstream slot: a streamed insert that kept its slot would stop every insert after it
        agg = Aggregator.start(TestAggregators.local(ch.httpUrl()).batchBytes(4096).maxRequestBytes(8 << 20)
                .maxInserts(1));
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
        HttpResponse<String> r = TestHttp.send(HttpRequest.newBuilder(insert("INSERT INTO " + table + " FORMAT TSV"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(100_000, ch.count(table));
        assertEquals(1, ch.insertQueryCount(table), "one insert, not merged or split");
        HttpResponse<String> sized = TestHttp.send(HttpRequest.newBuilder(insert("INSERT INTO " + table + " FORMAT TSV"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
        assertEquals(200, sized.statusCode(), sized.body());
        assertEquals(200_000, ch.count(table));
    }

    @Test
    void anEarlyErrorFromClickHouseIsPassedOn() throws Exception {
        byte[] body = tsv(50_000).getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> r = TestHttp.send(HttpRequest.newBuilder(insert("INSERT INTO catflap_test.no_such FORMAT TSV"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
        assertEquals(404, r.statusCode());
        assertTrue(r.body().startsWith("Code: 60"), r.body());
    }

    private static double insertsInFlight() {
        return agg.registry().get("catflap.upstream.in_flight").tag("pool", "insert").gauge().value();
    }

    @Test
    void aClientVanishingMidBodyCommitsNothingAndFreesItsUpstreamSlot() throws Exception {
        String table = ch.createTable("streamed_gone", "a UInt32, s String");
        byte[] body = tsv(50_000).getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", agg.port())) {
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /?query=" + URLEncoder.encode("INSERT INTO " + table + " FORMAT TSV", StandardCharsets.UTF_8)
                    + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, body.length / 2);
            out.flush();
            Waits.until("the body is streaming upstream", () -> insertsInFlight() == 1);
        }
        Waits.until("the upstream slot is returned", () -> insertsInFlight() == 0);
        assertEquals(0, ch.count(table));
        // the only upstream slot serves the next insert
        HttpResponse<String> r = TestHttp.post(insert("INSERT INTO " + table + " FORMAT TSV"), "1\tx\n");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(1, ch.count(table));
    }
}
