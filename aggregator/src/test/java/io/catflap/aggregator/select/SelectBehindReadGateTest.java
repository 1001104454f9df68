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
 * The select path inside a whole aggregator, where a read gate in front of it decides when a connection may be
 * read: a request that had to wait for a read permit must not leave its keep-alive connection unread afterwards.
 */
class SelectBehindReadGateTest {

    private static String q(String sql) {
        return "/?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8);
    }

    @Test
    void aRequestThatWaitedForAReadPermitLeavesItsConnectionReadable() throws Exception {
        ClickHouseServer clickhouse = ClickHouseServer.shared();
        String table = clickhouse.createTable("gate_select", "s String");
        AggregatorConfig config = new AggregatorConfig()
                .listen(new InetSocketAddress("127.0.0.1", 0))
                .admin(null)
                .clickhouse(clickhouse.httpUrl())
                .maxReaders(1)
                .freeReadBudget(0)    // every request needs the one permit
                // the unread answer must not make the select connection unwritable, which stops reading it too:
                // its next request would then never get as far as the read gate
                .writeBufferBytes(64 << 20);
        try (Aggregator aggregator = Aggregator.start(config);
             RawHttp selects = new RawHttp(aggregator.port());
             RawHttp insert = new RawHttp(aggregator.port())) {
            // A large answer the client does not read yet keeps the first exchange running.
            selects.send("GET " + q("SELECT number FROM system.numbers LIMIT 3000000 FORMAT TSV")
                    + " HTTP/1.1\nHost: t", new byte[0]);
            Waits.until("the select runs", () -> gauge(aggregator, "catflap.upstream.in_flight") == 1);

            // An insert that is half sent holds the only read permit.
            insert.sendRaw("POST " + q("INSERT INTO " + table + " FORMAT TSV")
                    + " HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nab");
            Waits.until("the insert holds the permit", () -> gauge(aggregator, "catflap.readers.in_use") == 1);

            // The next request on the select connection waits for a permit.
            selects.sendRaw("GET " + q("SELECT 'second' FORMAT TSV") + " HTTP/1.1\r\nHost: t\r\n\r\n");
            Waits.until("the next select waits for a reader",
                    () -> gauge(aggregator, "catflap.readers.waiting") == 1);
            assertEquals(3_000_000, selects.read().text().split("\n").length);

            insert.sendRaw("c\n");
            assertEquals(200, insert.read().status());
            assertEquals("second\n", selects.read().text());
            // The connection is still read: a third request gets its answer.
            assertEquals("third\n", selects.get(q("SELECT 'third' FORMAT TSV")).text());
        }
    }

    private static double gauge(Aggregator aggregator, String name) {
        return aggregator.registry().find(name).gauges().stream()
                .filter(g -> !"insert".equals(g.getId().getTag("pool")))
                .mapToDouble(g -> g.value()).sum();
    }
}
