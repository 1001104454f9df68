package io.catflap.aggregator.select;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.catflap.aggregator.Aggregator;
import io.catflap.aggregator.AggregatorConfig;
import io.catflap.testkit.ClickHouseServer;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * HTTP/1.1 pipelining through the aggregator against the real ClickHouse: an INSERT sent right behind a streamed
 * SELECT is answered after the SELECT's whole body, never inside it, and its rows land.
 */
class PipelinedRequestsIT {
    private static final int ROWS = 1_000_000;

    @Test
    void insertBehindAStreamedSelectIsAnsweredAfterIt() throws Exception {
        ClickHouseServer ch = ClickHouseServer.shared();
        String table = ch.createTable("pipelined", "a UInt32");
        AggregatorConfig config = new AggregatorConfig().listen(new InetSocketAddress("127.0.0.1", 0)).admin(null)
                .clickhouse(ch.httpUrl()).flushIntervalMillis(5);
        try (Aggregator agg = Aggregator.start(config); RawHttp http = new RawHttp(agg.port())) {
            String select = "SELECT number FROM system.numbers LIMIT " + ROWS + " FORMAT TSV";
            String insert = "INSERT INTO " + table + " (a) FORMAT Values";
            http.send("GET /?query=" + URLEncoder.encode(select, StandardCharsets.UTF_8) + " HTTP/1.1\nHost: test",
                    new byte[0]);
            http.send("POST /?query=" + URLEncoder.encode(insert, StandardCharsets.UTF_8) + " HTTP/1.1\nHost: test",
                    "(1),(2),(3)".getBytes(StandardCharsets.US_ASCII));

            RawHttp.Response first = http.read();
            assertEquals(200, first.status(), first::text);
            String body = first.text();
            assertEquals(ROWS, body.split("\n").length, "the SELECT's body whole, with nothing inside it");
            assertEquals(Integer.toString(ROWS - 1), body.substring(body.lastIndexOf('\n', body.length() - 2) + 1,
                    body.length() - 1));
            RawHttp.Response second = http.read();
            assertEquals(200, second.status(), second::text);
        }
        assertEquals(3, ch.count(table));
    }
}
