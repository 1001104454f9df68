package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.ServerException;
import com.clickhouse.client.api.query.QueryResponse;
import com.clickhouse.client.api.query.QuerySettings;
import com.clickhouse.data.ClickHouseFormat;
import io.catflap.testkit.ClickHouseServer;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The official Java clients, client-v2 and jdbc-v2 0.10.0, against ClickHouse itself and through the aggregator,
 * with the same assertions both ways. Both clients send {@code compress=1} on every request by default;
 * client-v2 sends {@code decompress=1} bodies with {@code compressClientRequest}. Where ClickHouse 18.16 itself
 * fails a client feature (the clients target newer servers), the test shows it fails directly and is skipped.
 */
class OfficialClientsIT {
    enum Target { CLICKHOUSE, CATFLAP }

    private static ClickHouseServer ch;
    private static Aggregator agg;

    @BeforeAll
    static void start() throws InterruptedException {
        ch = ClickHouseServer.shared();
        agg = Aggregator.start(TestAggregators.local(ch.httpUrl()).flushIntervalMillis(300));
        com.clickhouse.jdbc.Driver.load();   // jdbc-v2 0.10.0 does not register itself on loading
    }

    @AfterAll
    static void stop() {
        agg.close();
    }

    private static URI url(Target t) {
        return t == Target.CLICKHOUSE ? ch.httpUrl() : URI.create("http://127.0.0.1:" + agg.port());
    }

    /**
     * A client-v2 of {@code t}.
     *
     * @param compress compress=1: ClickHouse's compressed answers
     * @param decompress decompress=1: bodies in ClickHouse's compressed framing
     */
    private static Client client(Target t, boolean compress, boolean decompress, String... settings) {
        Client.Builder b = new Client.Builder().addEndpoint(url(t).toString()).setUsername("default").setPassword("")
                .compressServerResponse(compress).compressClientRequest(decompress);
        for (int i = 0; i < settings.length; i += 2) {
            b.serverSetting(settings[i], settings[i + 1]);
        }
        return b.build();
    }

    private static Stream<Arguments> everyTargetAndCompression() {
        List<Arguments> all = new ArrayList<>();
        for (Target t : Target.values()) {
            for (boolean compress : new boolean[] {false, true}) {
                for (boolean decompress : new boolean[] {false, true}) {
                    all.add(Arguments.of(t, compress, decompress));
                }
            }
        }
        return all.stream();
    }

    private static Stream<Arguments> everyTargetWithCompressOnAndOff() {
        return Stream.of(Target.values()).flatMap(t -> Stream.of(Arguments.of(t, false), Arguments.of(t, true)));
    }

    private static ByteArrayInputStream text(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Rows {@code (a, s)} of a {@code UInt32, String} table in RowBinary. */
    private static ByteArrayInputStream rowBinary(int from, int to) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int a = from; a < to; a++) {
            for (int shift = 0; shift < 32; shift += 8) {
                out.write(a >>> shift);
            }
            byte[] s = ("row " + a).getBytes(StandardCharsets.UTF_8);
            out.write(s.length);   // a LEB128 length under 128
            out.writeBytes(s);
        }
        return new ByteArrayInputStream(out.toByteArray());
    }

    @ParameterizedTest(name = "{0}, compress={1}, decompress={2}")
    @MethodSource("everyTargetAndCompression")
    void jsonEachRowAndRowBinaryInsertsLand(Target t, boolean compress, boolean decompress) throws Exception {
        String table = ch.createTable("client_v2", "a UInt32, s String");
        String name = table.substring(table.indexOf('.') + 1);
        StringBuilder json = new StringBuilder();
        for (int a = 0; a < 1000; a++) {
            json.append("{\"a\":").append(a).append(",\"s\":\"row ").append(a).append("\"}\n");
        }
        try (Client c = client(t, compress, decompress, "database", ClickHouseServer.TEST_DATABASE)) {
            c.insert(name, text(json.toString()), ClickHouseFormat.JSONEachRow).get().close();
            c.insert(name, rowBinary(1000, 2000), ClickHouseFormat.RowBinary).get().close();
        }
        assertEquals(2000, ch.count(table));
        assertEquals(2000, ch.count(table, "s = concat('row ', toString(a))"), "every value as sent");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Target.class)
    void jdbcBatchInsertsLand(Target t) throws Exception {
        String table = ch.createTable("jdbc_v2", "a UInt32, s String");
        Properties props = new Properties();
        props.setProperty("user", "default");
        props.setProperty("password", "");
        try (Connection c = new com.clickhouse.jdbc.Driver().connect("jdbc:clickhouse:" + url(t), props);
             PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (a, s) VALUES (?, ?)")) {
            for (int a = 0; a < 500; a++) {
                ps.setInt(1, a);
                ps.setString(2, "row " + a);
                ps.addBatch();
            }
            ps.executeBatch();
        }
        assertEquals(500, ch.count(table));
        assertEquals(500, ch.count(table, "s = concat('row ', toString(a))"));
    }

    /**
     * A bad value in one request among requests of good rows, all at once, so that through the aggregator they share
     * a batch: the bad request gets ClickHouse's code and text, at once, and every good row lands.
     */
    @ParameterizedTest(name = "{0}, compress={1}")
    @MethodSource("everyTargetWithCompressOnAndOff")
    void aBadValueAmongGoodRowsFailsAloneAndAtOnce(Target t, boolean compress) throws Exception {
        String table = ch.createTable("bad_value", "a UInt32, s String");
        String name = table.substring(table.indexOf('.') + 1);
        double retriesBefore = retries();
        ExecutorService senders = Executors.newFixedThreadPool(6);
        try (Client c = client(t, compress, false, "database", ClickHouseServer.TEST_DATABASE)) {
            List<Future<Throwable>> good = new ArrayList<>();
            for (int a = 0; a < 5; a++) {
                String row = "{\"a\":" + a + ",\"s\":\"good\"}\n";
                good.add(senders.submit(() -> failure(() -> c.insert(name, text(row), ClickHouseFormat.JSONEachRow)
                        .get().close())));
            }
            long start = System.nanoTime();
            Throwable bad = senders.submit(() -> failure(() -> c.insert(name, text("{\"a\":\"oops\",\"s\":\"bad\"}\n"),
                    ClickHouseFormat.JSONEachRow).get().close())).get();
            long millis = (System.nanoTime() - start) / 1_000_000;
            ServerException se = assertInstanceOf(ServerException.class, bad, String.valueOf(bad));
            assertTrue(se.getMessage().startsWith("Code: 27, e.displayText() = DB::Exception: Cannot parse input: "
                    + "expected \" before: oops"), se.getMessage());
            System.out.printf("%s compress=%s: the bad value was answered in %d ms: %s%n", t, compress, millis,
                    se.getMessage().lines().findFirst().orElse(""));
            for (Future<Throwable> f : good) {
                assertEquals(null, f.get(), "a good request");
            }
        } finally {
            senders.shutdown();
        }
        assertEquals(5, ch.count(table), "every good row landed");
        assertEquals(0, ch.count(table, "s = 'bad'"));
        assertEquals(retriesBefore, retries(), "an error about the data is never retried");
    }

    /** What {@code call} threw (an async call's cause), or null. */
    private static Throwable failure(ThrowingRunnable call) {
        try {
            call.run();
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            return e;
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static double retries() {
        var c = agg.registry().find("catflap.insert.retries").counter();
        return c == null ? 0 : c.count();
    }

    /** A million rows from a client that reads them as a stream. */
    @ParameterizedTest(name = "{0}, compress={1}")
    @MethodSource("everyTargetWithCompressOnAndOff")
    void aMillionRowSelectIsStreamed(Target t, boolean compress) throws Exception {
        String sql = "SELECT number, toString(number) FROM system.numbers LIMIT 1000000";
        long rows = countRows(t, compress, sql);
        if (compress) {
            long direct = countRows(Target.CLICKHOUSE, true, sql);
            assertEquals(direct, rows, "what ClickHouse itself answers");
            assumeTrue(direct == 1_000_000, "ClickHouse " + ch.version().strip() + " answers a query with compress=1 "
                    + "with an empty body, directly too (" + direct + " rows): client-v2 needs "
                    + "compressServerResponse(false)");
        }
        assertEquals(1_000_000, rows);
    }

    private static long countRows(Target t, boolean compress, String sql) throws Exception {
        try (Client c = client(t, compress, false);
             QueryResponse r = c.query(sql, new QuerySettings().setFormat(ClickHouseFormat.TabSeparated)).get();
             BufferedReader lines = new BufferedReader(new InputStreamReader(r.getInputStream(),
                     StandardCharsets.UTF_8))) {
            return lines.lines().count();
        }
    }

    /**
     * A session's temporary table: created, inserted into and read in the session; with compression, every body
     * (the statements' too, which pass to ClickHouse as they came) in ClickHouse's framing.
     */
    @ParameterizedTest(name = "{0}, compress={1}")
    @MethodSource("everyTargetWithCompressOnAndOff")
    void aSessionsTemporaryTableTakesItsRows(Target t, boolean compress) throws Exception {
        String session = "catflap-it-" + t + "-" + compress + "-" + System.nanoTime();
        try (Client insertClient = client(t, compress, compress, "session_id", session);
             Client queryClient = client(t, false, compress, "session_id", session)) {
            queryClient.execute("CREATE TEMPORARY TABLE tmp (a UInt32)").get().close();
            insertClient.insert("tmp", text("{\"a\":1}\n{\"a\":2}\n"), ClickHouseFormat.JSONEachRow).get().close();
            insertClient.insert("tmp", text("{\"a\":3}\n"), ClickHouseFormat.JSONEachRow).get().close();
            try (QueryResponse r = queryClient.query("SELECT count(), sum(a) FROM tmp",
                    new QuerySettings().setFormat(ClickHouseFormat.TabSeparated)).get()) {
                assertEquals("3\t6", new String(r.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
            }
        }
    }
}
