package io.catflap.client.kitten;

import io.catflap.protocol.TableSpec;

import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;

/**
 * Plain ClickHouse HTTP towards one server ({@code host:port}): the fallback for inserts when the peer does not speak
 * KITTEN, the forwarding of SELECTs, and kittenhouse's {@code SELECT 42} health check. Works against ClickHouse itself
 * and against a catflap aggregator's HTTP side.
 */
public final class ClickHouseHttp {
    /** VALUES are parsed by the fast streaming parser only: no expression evaluation from senders (kittenhouse). */
    private static final String INSERT_SETTINGS = "input_format_values_interpret_expressions=0";

    private final HttpClient http;
    private final String base;
    private final Duration timeout;
    private final String bearerToken;

    /**
     * @param bearerToken sent as {@code Authorization: Bearer} (a catflap aggregator with tokens asks HTTP clients for
     *                    one too); null sends none, as ClickHouse itself expects
     * @param tls         HTTPS with this context; null: HTTP
     */
    public ClickHouseHttp(String hostPort, Executor executor, Duration timeout, String bearerToken, SSLContext tls) {
        HttpClient.Builder b = HttpClient.newBuilder().executor(executor).connectTimeout(timeout)
                .version(HttpClient.Version.HTTP_1_1);
        this.http = (tls == null ? b : b.sslContext(tls)).build();
        this.base = (tls == null ? "http://" : "https://") + hostPort + "/";
        this.timeout = timeout;
        this.bearerToken = bearerToken;
    }

    /**
     * {@code INSERT INTO db.t (cols) VALUES} / {@code FORMAT RowBinary} with the body; completes normally on 200,
     * with {@link InsertException} on any other status.
     */
    public CompletableFuture<Void> insert(String table, boolean rowBinary, byte[] body) {
        TableSpec spec = TableSpec.parse(table);
        String sql = spec.insertInto() + (rowBinary ? " FORMAT RowBinary" : " VALUES");
        HttpRequest request = request(INSERT_SETTINGS + "&query=" + encode(sql), timeout)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
            if (r.statusCode() != 200) {
                throw new InsertException(r.statusCode(), r.body().strip());
            }
            return null;
        });
    }

    /** Runs a read query given as a URL query string (e.g. {@code query=SELECT...}); the body streams. */
    public CompletableFuture<HttpResponse<InputStream>> get(String rawQueryString, Duration queryTimeout) {
        HttpRequest request = request(rawQueryString, queryTimeout).GET().build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
    }

    /** kittenhouse's health check: {@code SELECT 42} must answer 42. */
    public CompletableFuture<Void> checkAlive() {
        HttpRequest request = request("query=" + encode("SELECT 42 FORMAT TabSeparated"), timeout).GET().build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
            if (r.statusCode() != 200 || !r.body().strip().equals("42")) {
                throw new InsertException(r.statusCode(), "unexpected answer to SELECT 42: " + r.body().strip());
            }
            return null;
        });
    }

    private HttpRequest.Builder request(String query, Duration requestTimeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "?" + query)).timeout(requestTimeout);
        return bearerToken == null ? b : b.header("Authorization", "Bearer " + bearerToken);
    }

    /** URL-encodes a query parameter (spaces as %20, which every HTTP server reads the same way). */
    public static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
