package io.catflap.aggregator.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.testkit.ClickHouseServer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The select path against the real ClickHouse. */
class SelectProxyTest {

    private static ClickHouseServer clickhouse;
    private static SelectProxyRig rig;

    @BeforeAll
    static void start() throws Exception {
        clickhouse = ClickHouseServer.shared();
        rig = new SelectProxyRig(clickhouse.httpUrl(), 4);
    }

    @AfterAll
    static void stop() {
        rig.close();
    }

    private static String q(String sql) {
        return "/?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8);
    }

    @Test
    void getQueryStreamsTheWholeResult() throws Exception {
        try (RawHttp http = new RawHttp(rig.port())) {
            RawHttp.Response r = http.get(q("SELECT number FROM system.numbers LIMIT 200000 FORMAT TSV"));
            assertEquals(200, r.status(), r.text());
            String[] lines = r.text().split("\n");
            assertEquals(200000, lines.length);
            assertEquals("199999", lines[lines.length - 1]);
            assertEquals("chunked", r.header("transfer-encoding"));
            assertNull(r.header("keep-alive"), "ClickHouse's hop-by-hop Keep-Alive header is not relayed");
        }
    }

    @Test
    void keepAliveServesSequentialRequestsOnOneConnection() throws Exception {
        int before = rig.accepted();
        try (RawHttp http = new RawHttp(rig.port())) {
            for (int i = 1; i <= 5; i++) {
                RawHttp.Response r = http.get(q("SELECT " + i + " * 10 FORMAT TSV"));
                assertEquals(200, r.status(), r.text());
                assertEquals(i * 10 + "\n", r.text());
            }
        }
        assertEquals(before + 1, rig.accepted(), "all five requests used one client connection");
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (RawHttp http = new RawHttp(rig.port())) {
            http.sendRaw("GET " + q("SELECT 'first' FORMAT TSV") + " HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET " + q("SELECT 'second' FORMAT TSV") + " HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals("first\n", http.read().text());
            assertEquals("second\n", http.read().text());
        }
    }

    @Test
    void postBodyIsTheQuery() throws Exception {
        try (RawHttp http = new RawHttp(rig.port())) {
            http.send("POST / HTTP/1.1\nHost: t", "SELECT 6 * 7 FORMAT TSV".getBytes(StandardCharsets.UTF_8));
            RawHttp.Response r = http.read();
            assertEquals(200, r.status(), r.text());
            assertEquals("42\n", r.text());
            // A chunked request body with the query split across chunks, on the same connection.
            http.sendRaw("POST /?query=SELECT%20 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\n'abc'\r\n" + "c\r\n FORMAT TSV\r\n" + "0\r\n\r\n");
            r = http.read();
            assertEquals(200, r.status(), r.text());
            assertEquals("abc\n", r.text());
        }
    }

    @Test
    void expectContinueIsAnsweredOnceASlotIsHeld() throws Exception {
        try (RawHttp http = new RawHttp(rig.port())) {
            http.sendRaw("POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 19\r\n\r\n");
            assertEquals(100, http.read().status(), "the client is told to send its body");
            http.sendRaw("SELECT 7 FORMAT TSV");
            RawHttp.Response r = http.read();
            assertEquals(200, r.status(), r.text());
            assertEquals("7\n", r.text());
        }
    }

    @Test
    void credentialsPassThroughAndClickHouseChecksThem() throws Exception {
        try (RawHttp http = new RawHttp(rig.port())) {
            RawHttp.Response params = http.get(q("SELECT 1 FORMAT TSV") + "&user=default&password=wrong");
            assertEquals(401, params.status(), params.text());
            assertTrue(params.text().startsWith("Code: 193"), params.text());

            String basic = Base64.getEncoder().encodeToString("default:wrong".getBytes(StandardCharsets.UTF_8));
            http.send("GET " + q("SELECT 1") + " HTTP/1.1\nHost: t\nAuthorization: Basic " + basic, new byte[0]);
            RawHttp.Response header = http.read();
            assertEquals(401, header.status(), header.text());
            assertTrue(header.text().contains("Code: 193"), header.text());

            http.send("GET " + q("SELECT 1") + " HTTP/1.1\nHost: t\nX-ClickHouse-User: default\n"
                    + "X-ClickHouse-Key: wrong", new byte[0]);
            RawHttp.Response xch = http.read();
            assertEquals(401, xch.status(), xch.text());

            http.send("GET " + q("SELECT 1") + " HTTP/1.1\nHost: t\nX-ClickHouse-User: nobody_here", new byte[0]);
            RawHttp.Response unknown = http.read();
            assertEquals(401, unknown.status(), unknown.text());
            assertTrue(unknown.text().contains("Code: 192"), unknown.text());

            RawHttp.Response ok = http.get(q("SELECT 'in' FORMAT TSV") + "&user=default&password=");
            assertEquals(200, ok.status(), ok.text());
            assertEquals("in\n", ok.text());
        }
    }

    @Test
    void pingAndReplicasStatus() throws Exception {
        try (RawHttp http = new RawHttp(rig.port())) {
            RawHttp.Response ping = http.get("/ping");
            assertEquals(200, ping.status());
            assertEquals("Ok.\n", ping.text());
            RawHttp.Response replicas = http.get("/replicas_status");
            assertEquals(200, replicas.status());
            assertEquals("Ok.\n", replicas.text());
        }
    }

    @Test
    void http10ClientGetsTheBodyDelimitedByClose() throws Exception {
        try (RawHttp http = new RawHttp(rig.port())) {
            http.sendRaw("GET " + q("SELECT number FROM system.numbers LIMIT 1000 FORMAT TSV")
                    + " HTTP/1.0\r\n\r\n");
            RawHttp.Response r = http.read();
            assertEquals(200, r.status());
            assertEquals("HTTP/1.0", r.version());
            assertEquals("close", r.header("connection"));
            assertNull(r.header("transfer-encoding"));
            assertEquals(1000, r.text().split("\n").length);
        }
    }

    @Test
    void clientDisconnectMidResultCancelsTheQueryAndFreesTheSlot() throws Exception {
        try (SelectProxyRig one = new SelectProxyRig(clickhouse.httpUrl(), 1)) {
            String queryId = "catflap-cancel-" + UUID.randomUUID();
            try (RawHttp http = new RawHttp(one.port())) {
                http.send("GET " + q("SELECT number, toString(number) FROM system.numbers FORMAT TSV")
                        + "&query_id=" + queryId + " HTTP/1.1\nHost: t", new byte[0]);
                http.skip(1 << 20); // the endless result is flowing
                assertEquals(1, one.upstream.inFlight());
            }
            // With the only slot freed, the next request gets through.
            try (RawHttp http = new RawHttp(one.port())) {
                RawHttp.Response r = http.get(q("SELECT 'next' FORMAT TSV"));
                assertEquals("next\n", r.text());
            }
            Waits.until("ClickHouse stops the abandoned query", () -> "0".equals(clickhouse.query(
                    "SELECT count() FROM system.processes WHERE query_id = '" + queryId + "' FORMAT TSV").strip()));
            Waits.until("the slot is free", () -> one.upstream.inFlight() == 0);
            assertEquals(1.0, one.failures("client_closed"));
        }
    }

    @Test
    void clientLeavingDuringASilentQueryGetsItKilledBeforeTheSlotIsFree() throws Exception {
        // Named by a marker, not a query_id: the proxy adds one of its own.
        String marker = "catflap-silent-" + UUID.randomUUID();
        String running = "SELECT count() FROM system.processes WHERE query LIKE '%" + marker + "%'"
                + " AND query NOT LIKE '%system.processes%' FORMAT TSV";
        try (SelectProxyRig one = new SelectProxyRig(clickhouse.httpUrl(), 1)) {
            try (RawHttp http = new RawHttp(one.port())) {
                // Never answers on its own: counts an endless table (max_execution_time is only a safety net).
                http.send("GET " + q("SELECT count() FROM system.numbers WHERE '" + marker + "' != ''")
                        + "&max_execution_time=60 HTTP/1.1\nHost: t", new byte[0]);
                Waits.until("the query runs", () -> "1".equals(clickhouse.query(running).strip()));
            }
            try (RawHttp http = new RawHttp(one.port())) {
                assertEquals("free\n", http.get(q("SELECT 'free' FORMAT TSV")).text());
            }
            // The only slot was given on once the KILL was answered, so the query has ended by now.
            assertEquals("0", clickhouse.query(running).strip());
            assertEquals(1.0, one.failures("client_closed"));
            assertEquals(1.0, one.registry.get("catflap.select.kills").counter().count());
        } finally {
            clickhouse.query("KILL QUERY WHERE query LIKE '%" + marker + "%' SYNC FORMAT TSV");
        }
    }

    @Test
    void aClientThatStopsReadingStopsTheUpstreamRead() throws Exception {
        try (SelectProxyRig one = new SelectProxyRig(clickhouse.httpUrl(), 1);
             RawHttp http = new RawHttp(one.port())) {
            http.send("GET " + q("SELECT number, toString(number) FROM system.numbers FORMAT TSV")
                    + " HTTP/1.1\nHost: t", new byte[0]);
            // The endless result fills the socket buffers on both hops, then the proxy stops reading upstream.
            double[] last = {-1};
            Waits.until("relaying stalls", () -> {
                double now = relayed(one);
                boolean stalled = now > 0 && now == last[0];
                last[0] = now;
                Thread.sleep(500);
                return stalled;
            });
            assertTrue(last[0] < 64 << 20, "held back by the client, not buffered: " + last[0] + " bytes relayed");
            http.skip(32 << 20);
            assertTrue(relayed(one) > last[0], "reading resumes when the client reads");
        }
    }

    private static double relayed(SelectProxyRig rig) {
        return rig.registry.get("catflap.select.response.bytes").counter().count();
    }

    @Test
    void unreachableClickHouseIsA502WithTheReason() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (SelectProxyRig nowhere = new SelectProxyRig(URI.create("http://127.0.0.1:" + closedPort), 2);
             RawHttp http = new RawHttp(nowhere.port())) {
            RawHttp.Response r = http.get(q("SELECT 1"));
            assertEquals(502, r.status());
            assertTrue(r.text().contains("ClickHouse at 127.0.0.1:" + closedPort + " is unreachable"), r.text());
            // The client connection stays usable.
            assertEquals(502, http.get("/ping").status());
            assertEquals(2.0, nowhere.failures("unreachable"));
        }
    }
}
