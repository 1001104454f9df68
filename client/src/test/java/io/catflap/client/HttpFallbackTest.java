package io.catflap.client;

import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The daemon pointed at ClickHouse's own HTTP port: the KITTEN handshake is not answered with MEOW, so the destination
 * switches to plain HTTP inserts and every accepted row still lands (memory, debug and RowBinary paths), and GET
 * queries are forwarded.
 */
class HttpFallbackTest extends DaemonOnClickHouse {

    @Test
    void fallsBackToHttpAndDelivers() throws Exception {
        String table = CH.createTable("fallback", "id UInt64, s String");
        for (int i = 0; i < 50; i++) {
            HttpResponse<String> r = daemon.post(table + "(id,s)", "", "(" + i + ",'v" + i + "'),(" + (1000 + i) + ",'w')");
            assertEquals(200, r.statusCode(), r.body());
        }
        HttpResponse<String> sync = daemon.post(table + "(id,s)", "&debug=1", "(5000,'sync')");
        assertEquals(200, sync.statusCode(), sync.body());
        assertEquals(1, CH.count(table, "id = 5000"));   // debug=1 answers only after the insert
        RowBinary rb = new RowBinary();
        for (int i = 0; i < 20; i++) {
            rb.row(10_000 + i, "rb" + i);
        }
        assertEquals(200, daemon.post(table + "(id,s)", "&rowbinary=1", rb.bytes()).statusCode());

        assertEquals(121L, Await.until(Duration.ofSeconds(30), 121L, () -> CH.count(table)));
        assertEquals(20, CH.count(table, "s LIKE 'rb%'"));
        assertTrue(daemon.admin("/status").contains("\"mode\":\"HTTP\""), daemon.admin("/status"));

        HttpResponse<String> q = daemon.query("SELECT count() FROM " + table + " FORMAT TSV");
        assertEquals(200, q.statusCode(), q.body());
        assertEquals("121", q.body().strip());
    }

    /** A result far larger than one chunk streams through the daemon intact. */
    @Test
    void largeSelectIsStreamed() throws Exception {
        HttpResponse<String> r = daemon.query("SELECT number FROM system.numbers LIMIT 300000 FORMAT TSV");
        assertEquals(200, r.statusCode());
        String[] lines = r.body().split("\n");
        assertEquals(300_000, lines.length);
        assertEquals("299999", lines[lines.length - 1]);
    }

    /** One app's bad row is isolated by splitting the batch: the other writes of the same flush still land. */
    @Test
    void badWriteIsDroppedAloneInMemoryMode() throws Exception {
        String table = CH.createTable("badrow", "id UInt64");
        for (String body : new String[]{"(1)", "(2),(3)", "('oops')", "(4)", "(5)"}) {
            assertEquals(200, daemon.post(table + "(id)", "", body).statusCode());
        }
        assertEquals(5L, Await.until(Duration.ofSeconds(30), 5L, () -> CH.count(table)));
        assertEquals(8.0, Await.until(Duration.ofSeconds(10), 8.0,
                () -> daemon.metric("catflap_client_rejected_bytes_total", "table=\"" + table + "\"")));
    }

    @Test
    void valuesRowsAreCounted() throws Exception {
        String table = CH.createTable("counted", "id UInt64");
        assertEquals(200, daemon.post(table + "(id)", "", "(1),(2),(3)").statusCode());
        assertEquals(3.0, daemon.metric("catflap_client_received_rows_total", "table=\"" + table + "\""));
    }

    @Test
    void apiErrorsLookLikeKittenhouse() throws Exception {
        String table = CH.createTable("errors", "id UInt64");
        HttpResponse<String> noTable = daemon.post("", "", "(1)");
        assertEquals(400, noTable.statusCode());
        HttpResponse<String> bad = daemon.post(table + "(id)", "&debug=1", "('not a number')");
        assertEquals(500, bad.statusCode());
        assertTrue(bad.body().contains("HTTP code"), bad.body());
        HttpResponse<String> badQuery = daemon.query("SELEKT 1");
        assertEquals(400, badQuery.statusCode(), badQuery.body());   // ClickHouse's own status comes through
    }
}
