package io.catflap.aggregator;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * HTTP/1.1 calls for tests, each bounded by a request timeout: a server that stops answering fails the test with
 * an {@link java.net.http.HttpTimeoutException} instead of holding it.
 */
public final class TestHttp {
    /** Generous for a loaded machine, short next to a suite's run. */
    public static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private TestHttp() {
    }

    /** Sends {@code request} with {@link #TIMEOUT}; the body as text. */
    public static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HTTP.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sends {@code request} with {@link #TIMEOUT}; the body as bytes. */
    public static HttpResponse<byte[]> sendForBytes(HttpRequest.Builder request)
            throws IOException, InterruptedException {
        return HTTP.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    public static HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri));
    }

    /** POSTs {@code body}, with {@code headers} as name, value, name, value... */
    public static HttpResponse<String> post(URI uri, String body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return send(b);
    }
}
