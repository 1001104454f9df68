package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.ingest.TokenFile;
import io.catflap.protocol.HandshakeReply;
import io.catflap.protocol.Kitten;
import io.catflap.protocol.KittenStreams;
import io.catflap.testkit.ClickHouseServer;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Who may do what, against the real ClickHouse: for every caller and action, the answer and whether its row landed
 * in ClickHouse. docs/OPERATIONS.md ("Access") shows the same table.
 *
 * <p>In the tables below {@code 200+} is a 200 whose row landed, {@code CH} ClickHouse's own answer to a request
 * the aggregator let through (on 18.16 an error); no other cell left a row behind.
 */
class AccessMatrixIT {
    private static final String DB = ClickHouseServer.TEST_DATABASE;
    private static final AtomicInteger MARKERS = new AtomicInteger(1000);

    private static ClickHouseServer ch;
    private static Aggregator guarded;
    private static Aggregator open;
    /** The table the tokens below are about, and another one; both {@code a UInt32, s String}. */
    private static String table;
    private static String other;

    @BeforeAll
    static void start() throws Exception {
        ch = ClickHouseServer.shared();
        table = ch.createTable("access", "a UInt32, s String");
        other = ch.createTable("access_other", "a UInt32, s String");
        TokenFile tokens = TokenFile.parse(List.of(
                "writer " + table,
                "reader " + table + " read",
                "other " + other,
                "otherReader " + other + " read",
                "elsewhere " + table + " read from=10.0.0.0/8"));
        guarded = Aggregator.start(TestAggregators.local(ch.httpUrl()).flushIntervalMillis(20).tokens(tokens));
        open = Aggregator.start(TestAggregators.local(ch.httpUrl()).flushIntervalMillis(20));
    }

    @AfterAll
    static void stop() {
        guarded.close();
        open.close();
    }

    /** How a caller identifies itself: HTTP headers (name, value, ...) and the token of its KITTEN handshake. */
    private record Caller(String name, Aggregator to, String kittenToken, String... headers) {
        static Caller token(String name, String token) {
            return new Caller(name, guarded, token, "Authorization", "Bearer " + token);
        }
    }

    /** One way to ask; returns the status the caller got, having tried to write a row {@code (marker, ...)}. */
    private interface Action {
        int run(Caller c, int marker) throws Exception;
    }

    /** One request, given a fresh marker; returns its status. */
    private interface Attempt {
        int run(int marker) throws Exception;
    }

    /** A status from ClickHouse itself; the aggregator's own refusals are 400, 401, 403. */
    private static final int CLICKHOUSE = -1;

    private static String q(String sql) {
        return "/?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8);
    }

    private static HttpResponse<String> post(Caller c, String pathAndQuery, String body, String... more)
            throws Exception {
        String[] headers = Stream.concat(Stream.of(c.headers()), Stream.of(more)).toArray(String[]::new);
        return TestHttp.post(URI.create("http://127.0.0.1:" + c.to().port() + pathAndQuery), body, headers);
    }

    private static HttpResponse<String> get(Caller c, String pathAndQuery) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.to().port() + pathAndQuery));
        if (c.headers().length > 0) {
            b.headers(c.headers());
        }
        return TestHttp.send(b);
    }

    private static int kitten(Caller c, String tableString, int marker) throws IOException {
        try (Socket s = new Socket("127.0.0.1", c.to().port())) {
            s.setSoTimeout(20_000);
            KittenStreams.writeHandshake(s.getOutputStream(), c.kittenToken());
            HandshakeReply.Result r = KittenStreams.readHandshakeReply(s.getInputStream());
            if (!r.meow()) {
                return r.status();
            }
            byte[] body = ("(" + marker + ",'kitten')").getBytes(StandardCharsets.UTF_8);
            KittenStreams.writeRequest(s.getOutputStream(), 0, tableString, body, 0, body.length);
            return KittenStreams.readResponse(s.getInputStream(), Kitten.MAX_RESPONSE_MESSAGE_BYTES).status();
        }
    }

    private static final List<String> ACTIONS = List.of("merged insert", "streamed insert", "/?table=", "KITTEN",
            "INSERT ... SELECT", "SELECT", "INSERT INTO FUNCTION", "SYSTEM", "KILL");

    private static List<Action> actions() {
        return List.of(
                (c, m) -> post(c, q("INSERT INTO " + table + " (a, s) VALUES"), "(" + m + ",'merged')").statusCode(),
                // a format with a header row is never merged: streamed upstream as it arrives
                (c, m) -> post(c, q("INSERT INTO " + table + " FORMAT CSVWithNames"), "a,s\n" + m + ",streamed\n")
                        .statusCode(),
                (c, m) -> post(c, "/?table=" + table + "(a,s)", "(" + m + ",'form')").statusCode(),
                (c, m) -> kitten(c, table + "(a,s)", m),
                (c, m) -> post(c, "/", "INSERT INTO " + table + " SELECT " + m + ", 'insert select'").statusCode(),
                (c, m) -> get(c, q("SELECT count() FROM " + table)).statusCode(),
                // a port nobody listens on: ClickHouse's answer is an error whatever its version, and nothing lands
                (c, m) -> clickHouseOrCatflap(post(c, "/", "INSERT INTO FUNCTION remote('127.0.0.1:1', " + table
                        + ") SELECT " + m + ", 'function'")),
                (c, m) -> post(c, "/", "SYSTEM FLUSH LOGS").statusCode(),
                (c, m) -> post(c, "/", "KILL QUERY WHERE query_id = 'catflap-nobody' FORMAT TSV").statusCode());
    }

    /** The aggregator's own refusal, or {@link #CLICKHOUSE} for an answer ClickHouse gave. */
    private static int clickHouseOrCatflap(HttpResponse<String> r) {
        boolean catflaps = List.of(400, 401, 403).contains(r.statusCode()) && !r.body().startsWith("Code: ");
        return catflaps ? r.statusCode() : CLICKHOUSE;
    }

    /**
     * caller: its answer per action, in the order of {@link #ACTIONS}. With a token file, every request needs a
     * token from the file, presented from a network it allows; without one, ClickHouse judges.
     */
    private static List<Object[]> matrix() {
        return List.of(
                row(new Caller("no credentials", guarded, null),
                        "401 401 401 401 401 401 401 401 401"),
                row(new Caller("ClickHouse credentials", guarded, null, "X-ClickHouse-User", "default"),
                        "401 401 401 401 401 401 401 401 401"),
                row(Caller.token("wrong token", "wr0ng"),
                        "401 401 401 401 401 401 401 401 401"),
                row(Caller.token("token from another network", "elsewhere"),
                        "403 403 403 403 403 403 403 403 403"),
                row(Caller.token("insert token for another table", "other"),
                        "403 403 403 403 403 403 403 403 403"),
                row(Caller.token("read token for another table", "otherReader"),
                        "403 403 403 403 403 200 403 403 403"),
                row(Caller.token("insert token", "writer"),
                        "200+ 200+ 200+ 200+ 403 403 403 403 403"),
                row(Caller.token("read token", "reader"),
                        "200+ 200+ 200+ 200+ 403 200 403 403 403"),
                row(new Caller("no token file, no credentials", open, null),
                        "200+ 200+ 200+ 200+ 200+ 200 CH 200 200"),
                row(new Caller("no token file, ClickHouse credentials", open, null, "X-ClickHouse-User", "default"),
                        "200+ 200+ 200+ 200+ 200+ 200 CH 200 200"));
    }

    private static Object[] row(Caller c, String answers) {
        return new Object[] {c, answers.split(" ")};
    }

    @TestFactory
    Stream<DynamicTest> everyCallerAndAction() {
        List<DynamicTest> cells = new ArrayList<>();
        List<Action> actions = actions();
        for (Object[] row : matrix()) {
            Caller caller = (Caller) row[0];
            String[] expected = (String[]) row[1];
            for (int i = 0; i < ACTIONS.size(); i++) {
                Action action = actions.get(i);
                String want = expected[i];
                cells.add(DynamicTest.dynamicTest(caller.name() + " × " + ACTIONS.get(i),
                        () -> expect(want, marker -> action.run(caller, marker))));
            }
        }
        return cells.stream();
    }

    /**
     * Runs {@code attempt} with a fresh marker; {@code want} is a status, {@code 200+} when its row must land,
     * {@code CH} for ClickHouse's own answer.
     */
    private static void expect(String want, Attempt attempt) throws Exception {
        int marker = MARKERS.incrementAndGet();
        int status = attempt.run(marker);
        boolean lands = want.endsWith("+");
        assertEquals(want.equals("CH") ? CLICKHOUSE : Integer.parseInt(want.replace("+", "")), status);
        assertEquals(lands ? 1 : 0, ch.count(table, "a = " + marker) + ch.count(other, "a = " + marker),
                lands ? "its row landed" : "nothing of it landed");
    }

    /**
     * The insert token for {@code table} against names that are, or only look like, that table: ClickHouse resolves
     * names exactly, and so does the token; a database named in a header or parameter counts as ClickHouse counts it.
     */
    @TestFactory
    Stream<DynamicTest> tokenTricks() {
        Caller writer = Caller.token("insert token", "writer");
        String db = DB;
        String name = table.substring(db.length() + 1);
        String otherName = other.substring(db.length() + 1);
        List<Object[]> tricks = List.of(
                trick("the table, back-quoted", "`" + db + "`.`" + name + "`", "200+"),
                trick("the table, double-quoted", "\"" + db + "\".\"" + name + "\"", "200+"),
                trick("the database in upper case", db.toUpperCase() + "." + name, "403"),
                trick("the table in upper case", db + "." + name.toUpperCase(), "403"),
                trick("database and table as one back-quoted name", "`" + db + "." + name + "`", "403"),
                trick("a Cyrillic e in the database", "`" + db.replace('e', '\u0435') + "`." + name, "403"),
                trick("the other table behind a comment", "/* " + table + " */ " + other, "403"),
                trick("unqualified", name, "403"),
                trick("unqualified, database header", name, "200+", "X-ClickHouse-Database", db),
                trick("the other table unqualified, database header", otherName, "403",
                        "X-ClickHouse-Database", db),
                trick("unqualified, database header naming another database", name, "403",
                        "X-ClickHouse-Database", "default"));
        List<DynamicTest> cells = new ArrayList<>();
        for (Object[] t : tricks) {
            String target = (String) t[1];
            String[] headers = (String[]) t[3];
            cells.add(DynamicTest.dynamicTest("INSERT INTO " + t[0], () -> expect((String) t[2], marker -> post(
                    writer, q("INSERT INTO " + target + " (a, s) VALUES"), "(" + marker + ",'trick')", headers)
                    .statusCode())));
        }
        cells.add(DynamicTest.dynamicTest("?database= for an unqualified table", () -> expect("200+", marker ->
                post(writer, q("INSERT INTO " + name + " (a, s) VALUES") + "&database=" + db, "(" + marker + ",'p')")
                        .statusCode())));
        cells.add(DynamicTest.dynamicTest("/?table= in upper case", () -> expect("403", marker ->
                post(writer, "/?table=" + table.toUpperCase() + "(a,s)", "(" + marker + ",'form')").statusCode())));
        cells.add(DynamicTest.dynamicTest("KITTEN, the other table", () -> expect("403", marker ->
                kitten(writer, other + "(a,s)", marker))));
        cells.add(DynamicTest.dynamicTest("KITTEN, the table back-quoted", () -> expect("200+", marker ->
                kitten(writer, "`" + db + "`.`" + name + "`(a,s)", marker))));
        cells.add(DynamicTest.dynamicTest("INSERT ... SETTINGS (a query, not a batchable insert)", () -> expect("403",
                marker -> post(writer, "/", "INSERT INTO " + table + " SETTINGS max_threads = 1 VALUES (" + marker
                        + ", 'settings')").statusCode())));
        return cells.stream();
    }

    private static Object[] trick(String what, String target, String want, String... headers) {
        return new Object[] {what, target, want, headers};
    }

    /** Under the aggregator's credentials no setting outside the allow-list passes, and nothing is evaluated. */
    @Test
    void senderSettingsUnderTheAggregatorsCredentials() throws Exception {
        Caller writer = Caller.token("insert token", "writer");
        String values = q("INSERT INTO " + table + " (a, s) VALUES");
        for (String setting : List.of("input_format_values_interpret_expressions=1",
                "input_format_values_deduce_templates_of_expressions=1", "max_insert_block_size=1",
                "input_format_allow_errors_ratio=1", "insert_deduplication_token=x", "session_id=s1", "readonly=0",
                "profile=default")) {
            String name = setting.substring(0, setting.indexOf('='));
            expect("400", marker -> {
                HttpResponse<String> r = post(writer, values + "&" + setting, "(" + marker + ", concat('a', 'b'))");
                assertTrue(r.body().contains("'" + name + "'"), r.body());
                return r.statusCode();
            });
        }
        expect("CH", marker -> {
            HttpResponse<String> r = post(writer, values, "(" + marker + ", toString(now()))");
            assertTrue(r.body().contains("Cannot parse"), "parsed as data, never evaluated: " + r.body());
            return clickHouseOrCatflap(r);
        });
        expect("200+", marker -> post(writer, q("INSERT INTO " + table + " FORMAT CSV")
                + "&format_csv_delimiter=%7C&input_format_skip_unknown_fields=1", marker + "|allowed\n").statusCode());

        Caller reader = Caller.token("read token", "reader");
        for (String setting : List.of("readonly=0", "max_memory_usage=0", "profile=default", "max_execution_time=0")) {
            expect("400", marker -> post(reader, q("SELECT " + marker) + "&" + setting, "").statusCode());
        }
        expect("200", marker -> post(reader, q("SELECT " + marker) + "&max_result_rows=10&extremes=0", "")
                .statusCode());
    }

    /** A sender's own credentials evaluate VALUES expressions as ClickHouse would; such a body goes on its own. */
    @Test
    void valuesWithExpressionsLandUnderTheSendersOwnCredentials() throws Exception {
        Caller own = new Caller("ClickHouse credentials", open, null, "X-ClickHouse-User", "default");
        expect("200+", marker -> post(own, q("INSERT INTO " + table + " (a, s) VALUES"),
                "(" + marker + ", concat('n', toString(now())))").statusCode());
    }

    @Test
    void pingNeedsNoToken() throws Exception {
        HttpResponse<String> ping = TestHttp.get(URI.create("http://127.0.0.1:" + guarded.port() + "/ping"));
        assertEquals(200, ping.statusCode());
        assertEquals("Ok.", ping.body().strip());
    }
}
