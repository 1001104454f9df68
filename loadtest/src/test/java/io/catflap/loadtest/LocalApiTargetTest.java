package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.catflap.protocol.TableSpec;
import io.catflap.testkit.ClickHouseServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code local://} target against a stand-in for the client daemon's kittenhouse-style API that inserts each
 * request synchronously into the real ClickHouse: the harness's URLs and bodies are what that API takes.
 */
class LocalApiTargetTest {
    private static final ClickHouseServer CLICKHOUSE = ClickHouseServer.shared();
    private final HttpClient http = HttpClient.newHttpClient();
    private final Set<String> requestShapes = ConcurrentHashMap.newKeySet();

    @TempDir
    Path dir;

    @Test
    void valuesAndRowBinaryAndSelectsGoThroughTheLocalApi() throws Exception {
        String table = CLICKHOUSE.createTable("local", RowGenerator.COLUMNS_DDL);
        HttpServer api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        api.createContext("/", this::handle);
        api.setExecutor(Executors.newFixedThreadPool(4));
        api.start();
        try {
            String target = "local://127.0.0.1:" + api.getAddress().getPort();
            PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
            String[] common = {"-t", target, "--table", table, "-c", "3", "-r", "4", "-n", "30",
                "--clickhouse", CLICKHOUSE.httpUrl().toString(), "--json", dir.resolve("r.json").toString()};

            assertEquals(0, LoadtestMain.run(quiet, System.err, concat(common, "--select-share", "0.3")));
            long valuesRows = new JsonReport(dir.resolve("r.json")).number("rows_acked");
            assertEquals(0, LoadtestMain.run(quiet, System.err, concat(common, "--format", "rowbinary")));
            assertEquals(30 * 4, new JsonReport(dir.resolve("r.json")).number("rows_acked"));

            assertEquals(valuesRows + 30 * 4, CLICKHOUSE.count(table));
            assertEquals(Set.of("POST values", "POST rowbinary", "GET select"), requestShapes);
        } finally {
            api.stop(0);
            ((ExecutorService) api.getExecutor()).shutdownNow();
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Map<String, String> params = new HashMap<>();
            for (String kv : exchange.getRequestURI().getRawQuery().split("&")) {
                int eq = kv.indexOf('=');
                params.put(kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
            }
            byte[] body = exchange.getRequestBody().readAllBytes();
            HttpRequest upstream;
            if (params.containsKey("table")) {
                boolean rowBinary = "1".equals(params.get("rowbinary"));
                requestShapes.add("POST " + (rowBinary ? "rowbinary" : "values"));
                String sql = TableSpec.parse(params.get("table")).insertInto() + " FORMAT " + (rowBinary ? "RowBinary" : "Values");
                upstream = HttpRequest.newBuilder(URI.create(CLICKHOUSE.httpUrl() + "/?query=" + ClickHouseHttp.urlEncode(sql)))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
            } else {
                requestShapes.add(exchange.getRequestMethod() + " select");
                upstream = HttpRequest.newBuilder(URI.create(CLICKHOUSE.httpUrl() + "/?query="
                        + ClickHouseHttp.urlEncode(params.get("query")))).build();
            }
            HttpResponse<byte[]> answer = http.send(upstream, HttpResponse.BodyHandlers.ofByteArray());
            exchange.sendResponseHeaders(answer.statusCode(), answer.body().length == 0 ? -1 : answer.body().length);
            exchange.getResponseBody().write(answer.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
