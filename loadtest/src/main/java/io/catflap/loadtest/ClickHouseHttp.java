package io.catflap.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A minimal blocking client for ClickHouse's HTTP interface: DDL and small TSV queries, for setup and checks. */
final class ClickHouseHttp {
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    ClickHouseHttp(URI base) {
        this.base = base;
    }

    /** Runs {@code sql} (the body of a POST) and returns the response body; throws on a non-200 answer. */
    String query(String sql) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/"))
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(sql, StandardCharsets.UTF_8))
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (response.statusCode() != 200) {
            throw new IOException("ClickHouse answered " + response.statusCode() + " to " + sql + ": " + response.body().trim());
        }
        return response.body();
    }

    /** A URL-encoded query-string value. */
    static String urlEncode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
