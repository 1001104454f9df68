package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.testkit.ClickHouseServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The ClickHouse-compatible HTTP side against the real ClickHouse: every INSERT form, pass-through, bad input. */
class HttpProtocolIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static ClickHouseServer ch;
    private static Aggregator agg;
    private static String table;

    @BeforeAll
    static void start() throws Exception {
        ch = ClickHouseServer.shared();
        table = ch.createTable("http_proto", "a UInt32, s String");
        agg = Aggregator.start(TestAggregators.local(ch.httpUrl()).flushIntervalMillis(50).maxRequestBytes(4096));
    }

    @AfterAll
    static void stop() {
        agg.close();
    }

    private static HttpResponse<String> post(String pathAndQuery, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agg.port() + pathAndQuery))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String q(String sql) {
        return "/?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8);
    }

    @Test
    void everyInsertFormLands() throws Exception {
        assertEquals(200, post(q("INSERT INTO " + table + " (a, s) VALUES"), "(1,'values')").statusCode());
        assertEquals(200, post("/", "INSERT INTO " + table + " FORMAT TabSeparated\n2\tbody statement\n")
                .statusCode());
        assertEquals(200, post("/?table=" + table + "(a,s)&persistent=1", "(3,'kittenhouse')").statusCode());
        assertEquals(200, post(q("INSERT INTO " + table + " FORMAT TSVWithNames"), "a\ts\n4\twith names\n")
                .statusCode());
        assertEquals(200, post(q("INSERT INTO " + table + " (s, a) FORMAT CSV"), "\"csv\",5\n").statusCode());
        assertEquals(200, post(q("INSERT INTO " + table + " FORMAT JSONEachRow"), "{\"a\":6,\"s\":\"json\"}")
                .statusCode());
        assertEquals(6, ch.count(table, "a BETWEEN 1 AND 6"));
        assertEquals(1, ch.count(table, "a = 4 AND s = 'with names'"));
    }

    @Test
    void queriesPassThroughToClickHouse() throws Exception {
        post(q("INSERT INTO " + table + " (a, s) VALUES"), "(100,'x')");
        HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agg.port()
                + q("SELECT count() FROM " + table + " WHERE a = 100"))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, get.statusCode());
        assertEquals("1", get.body().strip());
        HttpResponse<String> bodySelect = post("/", "SELECT 40 + 2");
        assertEquals("42", bodySelect.body().strip());
        assertEquals(200, post(q("INSERT INTO " + table + " SELECT 101, 'insert select'"), "").statusCode());
        assertEquals(1, ch.count(table, "a = 101"));
    }

    @Test
    void clickHouseErrorsComeBackAsClickHouseSentThem() throws Exception {
        HttpResponse<String> unknown = post(q("INSERT INTO catflap_test.no_such (a) VALUES"), "(1)");
        assertEquals(404, unknown.statusCode());
        assertTrue(unknown.body().startsWith("Code: 60"), unknown.body());
        HttpResponse<String> badRow = post(q("INSERT INTO " + table + " FORMAT TSV"), "x\ty\n");
        assertEquals(500, badRow.statusCode());
        assertTrue(badRow.body().startsWith("Code: 27"), badRow.body());
        String basic = "Basic " + Base64.getEncoder().encodeToString("default:wrong".getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> auth = post(q("INSERT INTO " + table + " (a, s) VALUES"), "(200,'x')",
                "Authorization", basic);
        assertTrue(auth.body().startsWith("Code: 193"), auth.body());
        assertEquals(0, ch.count(table, "a = 200"));
    }

    @Test
    void unparsableInsertHeadGets400() throws Exception {
        double before = TestAggregators.badRequests(agg, "bad_insert_head");
        HttpResponse<String> r = post(q("INSERT INTO " + table + " (a VALUES"), "(1)");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().startsWith("Cannot parse INSERT statement"), r.body());
        HttpResponse<String> r2 = post(q("INSERT INTO " + table + " FORMAT 9x"), "1");
        assertEquals(400, r2.statusCode());
        assertEquals(before + 2, TestAggregators.badRequests(agg, "bad_insert_head"));
    }

    @Test
    void invalidKittenhouseTableGets400() throws Exception {
        HttpResponse<String> r = post("/?table=" + URLEncoder.encode("db.t(a", StandardCharsets.UTF_8), "(1)");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("position"), r.body());
    }

    @Test
    void oversizeBodyGets413() throws Exception {
        double before = TestAggregators.badRequests(agg, "request_too_large");
        HttpResponse<String> r = post(q("INSERT INTO " + table + " (a, s) VALUES"), "(300,'" + "x".repeat(5000) + "')");
        assertEquals(413, r.statusCode());
        assertTrue(r.body().contains("4096"), r.body());
        assertEquals(before + 1, TestAggregators.badRequests(agg, "request_too_large"));
        assertEquals(0, ch.count(table, "a = 300"));
    }
}
