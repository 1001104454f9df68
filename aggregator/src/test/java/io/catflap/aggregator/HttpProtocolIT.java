package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.ingest.TokenFile;
import io.catflap.testkit.ClickHouseServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The ClickHouse-compatible HTTP side against the real ClickHouse: every INSERT form, pass-through, bad input. */
class HttpProtocolIT {
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
        return post(agg, pathAndQuery, body, headers);
    }

    private static HttpResponse<String> post(Aggregator to, String pathAndQuery, String body, String... headers)
            throws Exception {
        return TestHttp.post(URI.create("http://127.0.0.1:" + to.port() + pathAndQuery), body, headers);
    }

    private static String q(String sql) {
        return "/?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8);
    }

    /** Under the aggregator's credentials no sender turns on expression evaluation; under its own it may. */
    @Test
    void expressionsAreEvaluatedOnlyUnderTheSendersOwnCredentials() throws Exception {
        String insert = q("INSERT INTO " + table + " (a, s) VALUES") + "&input_format_values_interpret_expressions=1";
        HttpResponse<String> refused = post(insert, "(70, concat('a', 'b'))");
        assertEquals(400, refused.statusCode());
        assertTrue(refused.body().contains("input_format_values_interpret_expressions"), refused.body());
        assertEquals(0, ch.count(table, "a = 70"));
        HttpResponse<String> own = post(insert + "&user=default", "(71, concat('a', 'b'))");
        assertEquals(200, own.statusCode(), own.body());
        assertEquals(1, ch.count(table, "a = 71 AND s = 'ab'"));

        String plain = q("INSERT INTO " + table + " (a, s) VALUES");
        HttpResponse<String> aggregators = post(plain, "(72, toString(now()))");
        assertTrue(aggregators.statusCode() >= 400 && aggregators.body().startsWith("Code: "), aggregators.body());
        HttpResponse<String> sendersNow = post(plain + "&user=default", "(73, toString(now()))");
        assertEquals(200, sendersNow.statusCode(), "inserted on its own, as ClickHouse would: " + sendersNow.body());
        assertEquals(0, ch.count(table, "a = 72"));
        assertEquals(1, ch.count(table, "a = 73 AND s != ''"));
    }

    /** quota_key reaches ClickHouse under the sender's own credentials only (the test server's quota takes none). */
    @Test
    void quotaKeyTravelsOnlyUnderTheSendersOwnCredentials() throws Exception {
        String insert = q("INSERT INTO " + table + " (a, s) VALUES") + "&quota_key=k";
        HttpResponse<String> own = post(insert + "&user=default", "(80,'own')");
        assertTrue(own.body().startsWith("Code: 200") && own.body().contains("client supplied keys"),
                "ClickHouse saw the key: " + own.body());
        assertEquals(200, post(insert, "(81,'aggregator')").statusCode(), "dropped under the aggregator's");
        assertEquals(0, ch.count(table, "a = 80"));
        assertEquals(1, ch.count(table, "a = 81"));
    }

    /** 18.16 reads the database only from the parameter; the header a client sends reaches it as that. */
    @Test
    void theDatabaseHeaderReachesClickHouseAsTheParameter() throws Exception {
        HttpResponse<String> r = TestHttp.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agg.port()
                + q("SELECT currentDatabase()"))).header("X-ClickHouse-Database", "system"));
        assertEquals("system", r.body().strip());
        assertEquals(200, post(q("INSERT INTO " + table.substring(table.indexOf('.') + 1) + " (a, s) VALUES"),
                "(82,'header')", "X-ClickHouse-Database", ClickHouseServer.TEST_DATABASE).statusCode());
        assertEquals(1, ch.count(table, "a = 82"));
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
        HttpResponse<String> get = TestHttp.get(URI.create("http://127.0.0.1:" + agg.port()
                + q("SELECT count() FROM " + table + " WHERE a = 100")));
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
        assertEquals(400, badRow.statusCode(), "an error about the data, which no retry cures");
        assertTrue(badRow.body().startsWith("Code: 27"), badRow.body());
        String basic = "Basic " + Base64.getEncoder().encodeToString("default:wrong".getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> auth = post(q("INSERT INTO " + table + " (a, s) VALUES"), "(200,'x')",
                "Authorization", basic);
        assertTrue(auth.body().startsWith("Code: 193"), auth.body());
        assertEquals(0, ch.count(table, "a = 200"));
    }

    /** A session's temporary table over plain HTTP (as curl or Node's client send it): never merged, it lands. */
    @Test
    void aSessionsTemporaryTableTakesInserts() throws Exception {
        String session = "&session_id=http-proto-" + System.nanoTime() + "&database=" + ClickHouseServer.TEST_DATABASE;
        assertEquals(200, post("/?" + session.substring(1), "CREATE TEMPORARY TABLE tmp (a UInt32)").statusCode());
        HttpResponse<String> insert = post(q("INSERT INTO tmp FORMAT TSV") + session, "1\n2\n");
        assertEquals(200, insert.statusCode(), insert.body());
        assertEquals(200, post(q("INSERT INTO tmp VALUES") + session, "(3)").statusCode());
        assertEquals("3\t6", post("/?" + session.substring(1), "SELECT count(), sum(a) FROM tmp").body().strip());
        HttpResponse<String> gone = post(q("INSERT INTO tmp FORMAT TSV") + "&session_id=no-such-session"
                + "&session_check=1", "1\n");
        assertTrue(gone.body().startsWith("Code: 372"), "the session's own error: " + gone.body());
    }

    /** gzip, deflate and decompress=1 bodies land through the aggregator as they do in ClickHouse itself. */
    @Test
    void compressedBodiesLandAsInClickHouse() throws Exception {
        String compressed = ch.createTable("http_compressed", "a UInt32, s String");
        byte[] rows = "1\tgzip\n".getBytes(StandardCharsets.UTF_8);
        for (Aggregator to : new Aggregator[] {null, agg}) {
            URI base = to == null ? ch.httpUrl() : URI.create("http://127.0.0.1:" + to.port());
            URI insert = base.resolve(q("INSERT INTO " + compressed + " FORMAT TSV"));
            assertEquals(200, TestHttp.send(HttpRequest.newBuilder(insert)
                    .header("Content-Encoding", "gzip")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(CompressedBodies.gzip(rows))))
                    .statusCode());
            assertEquals(200, TestHttp.send(HttpRequest.newBuilder(insert)
                    .header("Content-Encoding", "deflate")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(CompressedBodies.deflate(
                            "2\tdeflate\n".getBytes(StandardCharsets.UTF_8))))).statusCode());
            assertEquals(200, TestHttp.send(HttpRequest.newBuilder(URI.create(insert + "&decompress=1"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(CompressedBodies.blocks(
                            "3\tblocks\n".getBytes(StandardCharsets.UTF_8), 1 << 20)))).statusCode());
        }
        assertEquals(2, ch.count(compressed, "a = 1 AND s = 'gzip'"));
        assertEquals(2, ch.count(compressed, "a = 2 AND s = 'deflate'"));
        assertEquals(2, ch.count(compressed, "a = 3 AND s = 'blocks'"));
    }

    /** compress=1: the error comes in ClickHouse's compressed framing, its text as ClickHouse wrote it. */
    @Test
    void withCompressTheErrorIsClickHousesTextCompressed() throws Exception {
        String insert = q("INSERT INTO " + table + " FORMAT TSV") + "&compress=1";
        List<String> texts = new ArrayList<>();
        for (URI base : new URI[] {ch.httpUrl(), URI.create("http://127.0.0.1:" + agg.port())}) {
            HttpResponse<byte[]> r = TestHttp.sendForBytes(HttpRequest.newBuilder(base.resolve(insert))
                    .POST(HttpRequest.BodyPublishers.ofString("x\ty\n")));
            assertTrue(r.statusCode() >= 400, String.valueOf(r.statusCode()));
            texts.add(CompressedBodies.decompress(r.body()));
        }
        assertTrue(texts.get(0).startsWith("Code: 27, e.displayText() = DB::Exception: Cannot parse input"),
                texts.get(0));
        assertEquals(texts.get(0), texts.get(1));
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

    @Test
    void bearerTokensGateHttpInserts() throws Exception {
        String secured = ch.createTable("http_token", "a UInt32, s String");
        TokenFile tokens = TokenFile.parse(List.of("tok-A " + ClickHouseServer.TEST_DATABASE + ".*",
                "tok-B other.t"));
        try (Aggregator gated = Aggregator.start(TestAggregators.local(ch.httpUrl()).flushIntervalMillis(50)
                .tokens(tokens))) {
            String insert = q("INSERT INTO " + secured + " (a, s) VALUES");
            HttpResponse<String> none = post(gated, insert, "(1,'no token')");
            assertEquals(401, none.statusCode(), none.body());
            HttpResponse<String> wrong = post(gated, insert, "(2,'wrong token')", "Authorization", "Bearer tok-C");
            assertEquals(401, wrong.statusCode(), wrong.body());
            HttpResponse<String> otherTables = post(gated, insert, "(3,'other tables')",
                    "Authorization", "Bearer tok-B");
            assertEquals(403, otherTables.statusCode(), otherTables.body());
            HttpResponse<String> right = post(gated, insert, "(4,'right token'),(5,'right token')",
                    "Authorization", "Bearer tok-A");
            assertEquals(200, right.statusCode(), right.body());
            assertEquals(2, TestAggregators.badRequests(gated, "bad_token"));
        }
        assertEquals(2, ch.count(secured), "only the rows sent with the right token");
        assertEquals(2, ch.count(secured, "s = 'right token'"));
    }
}
