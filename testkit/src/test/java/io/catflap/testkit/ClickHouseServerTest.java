package io.catflap.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Runs against the real server {@link ClickHouseServer#shared()} provides. */
class ClickHouseServerTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private static ClickHouseServer server;

    @BeforeAll
    static void start() {
        server = ClickHouseServer.shared();
    }

    @Test
    void sharedIsOneRealServer() {
        assertSame(server, ClickHouseServer.shared());
        assertTrue(server.version().matches("\\d+\\.\\d+.*"), server.version());
        assertEquals("2\n", server.query("SELECT 1 + 1 FORMAT TSV"));
        assertEquals(server.httpPort(), server.httpUrl().getPort());
        assertEquals("1\n", server.query("SELECT count() FROM system.databases WHERE name = '"
                + ClickHouseServer.TEST_DATABASE + "' FORMAT TSV"));
    }

    @Test
    void rowsInsertedOverHttpAreCountedBack() throws Exception {
        String table = server.createTable("http_rows", "ts DateTime, host String, v UInt64");
        StringBuilder tsv = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            tsv.append("2026-01-01 00:00:00\th").append(i % 4).append('\t').append(i).append('\n');
        }
        assertEquals(200, insert(table, "TabSeparated", tsv.toString()));
        assertEquals(200, insert(table, "Values", "('2026-01-01 00:00:01','x',1),('2026-01-01 00:00:02','x',2)"));

        assertEquals(1002, server.count(table));
        assertEquals(250, server.count(table, "host = 'h3'"));
        assertEquals(2, server.count(table, "host = 'x'"));
        assertEquals(2, server.insertQueryCount(table));
    }

    @Test
    void failedInsertsCountAsQueriesButAddNoRows() throws Exception {
        String table = server.createTable("failed", "v UInt64");
        assertEquals(200, insert(table, "TabSeparated", "1\n2\n"));
        assertNotEquals(200, insert(table, "TabSeparated", "3\nnot a number\n"));

        assertEquals(2, server.count(table));
        assertEquals(2, server.insertQueryCount(table));
    }

    @Test
    void insertQueryCountIgnoresTablesWhoseNameOnlyStartsTheSame() throws Exception {
        String table = server.createTable("prefix", "v UInt64");
        String longer = table + "_more";
        server.execute("CREATE TABLE " + longer + " (v UInt64) ENGINE = MergeTree ORDER BY tuple()");
        assertEquals(200, insert(longer, "TabSeparated", "1\n"));
        assertEquals(200, insert(longer, "TabSeparated", "2\n"));
        assertEquals(200, insert(table, "TabSeparated", "3\n"));

        assertEquals(1, server.insertQueryCount(table));
        assertEquals(2, server.insertQueryCount(longer));
        assertEquals(1, server.insertQueryCount("`" + table.replace(".", "`.`") + "`"));
    }

    @Test
    void createTableGivesFreshTables() {
        String a = server.createTable("fresh", "v UInt8");
        String b = server.createTable("fresh", "v UInt8");
        assertNotEquals(a, b);
        assertTrue(a.startsWith(ClickHouseServer.TEST_DATABASE + ".fresh_"), a);
        assertEquals(0, server.count(a));
        assertThrows(IllegalArgumentException.class, () -> server.createTable("bad name", "v UInt8"));
    }

    @Test
    void errorsCarryClickHouseText() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> server.query("SELECT no_such_column FROM system.one"));
        assertTrue(e.getMessage().contains("Code: 47"), e.getMessage());
    }

    private static int insert(String table, String format, String body) throws Exception {
        String query = URLEncoder.encode("INSERT INTO " + table + " FORMAT " + format, StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(URI.create(server.httpUrl() + "/?query=" + query))
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
