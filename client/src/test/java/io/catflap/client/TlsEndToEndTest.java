package io.catflap.client;

import io.catflap.testkit.ClickHouseServer;
import io.catflap.testkit.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * TLS end to end, every process real: an app posts to the daemon, which sends KITTEN over TLS (showing a client
 * certificate) to the aggregator, which inserts into ClickHouse over HTTPS; beside it an HTTPS client posts INSERTs
 * to the aggregator with a bearer token. Under that load the aggregator's certificate and token file are replaced
 * and it gets SIGHUP: no request fails, new connections see the new certificate and the new token, and every row
 * acknowledged is counted in ClickHouse.
 */
class TlsEndToEndTest {
    @TempDir
    Path dir;

    @Test
    void certificateAndTokensRotateOnSighupUnderLoadWithoutAFailedRequest() throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        TestCertificates.Pem clickhousePem = certs.server("clickhouse");
        ClickHouseServer ch = ClickHouseServer.withHttps(clickhousePem.certificate(), clickhousePem.privateKey());
        String table = ch.createTable("tls_e2e", "id UInt64, via String");
        Path cert = dir.resolve("aggregator.crt");
        Path key = dir.resolve("aggregator.key");
        install(certs.server("aggregator-1"), cert, key);
        Path tokens = Files.writeString(dir.resolve("tokens"), "daemon-token *\nhttp-token *\n");
        TestCertificates.Pem daemonPem = certs.client("daemon-1");
        String ca = certs.ca().toString();
        int port = JavaProcess.freePort();
        HttpClient https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(certs.trustingContext()).connectTimeout(Duration.ofSeconds(10)).build();
        URI insert = URI.create("https://127.0.0.1:" + port + "/?query="
                + URLEncoder.encode("INSERT INTO " + table + " (id, via) VALUES", StandardCharsets.UTF_8));

        try (AggregatorProcess aggregator = AggregatorProcess.start(port, ch.httpsUrl(), "--clickhouse-ca", ca,
                "--tls-cert", cert.toString(), "--tls-key", key.toString(), "--tls-client-ca", ca,
                "--tls-client-auth", "optional", "--tokens", tokens.toString(), "--flush-interval", "50ms");
             DaemonProcess daemon = DaemonProcess.start(dir.resolve("daemon"), "--ch-addr", aggregator.hostPort(),
                     "--aggregator-tls", "--tls-ca", ca, "--tls-cert", daemonPem.certificate().toString(),
                     "--tls-key", daemonPem.privateKey().toString(), "--token", "daemon-token")) {
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger viaDaemon = new AtomicInteger();
            AtomicInteger viaHttps = new AtomicInteger();
            // Each request is answered once ClickHouse committed its row (debug=1: the daemon waits for the ack).
            List<Thread> load = List.of(
                    sender(stop, failures, viaDaemon, i -> daemon.post(table + "(id,via)", "&debug=1",
                            "(" + i + ",'daemon')")),
                    sender(stop, failures, viaHttps, i -> post(https, insert, "http-token", "(" + i + ",'https')")));
            load.forEach(Thread::start);
            try {
                Await.until("rows flow both ways", () -> viaDaemon.get() >= 5 && viaHttps.get() >= 5);

                assertEquals("CN=aggregator-1", serverCertificate(certs, port));
                assertEquals(401, post(https, insert, "new-token", "(0,'new')").statusCode());
                install(certs.server("aggregator-2"), cert, key);
                Files.writeString(tokens, "daemon-token *\nhttp-token *\nnew-token *\n");
                aggregator.process().signal("HUP");
                Await.until("new connections see the new certificate",
                        () -> serverCertificate(certs, port).equals("CN=aggregator-2"));
                HttpResponse<String> newToken = post(https, insert, "new-token", "(0,'new')");
                assertEquals(200, newToken.statusCode(), newToken.body());

                int daemonBefore = viaDaemon.get();
                int httpsBefore = viaHttps.get();
                Await.until("rows flow on after the reload",
                        () -> viaDaemon.get() >= daemonBefore + 5 && viaHttps.get() >= httpsBefore + 5);
            } finally {
                stop.set(true);
                for (Thread t : load) {
                    t.join();
                }
            }
            assertEquals(List.of(), failures);
            assertEquals(viaDaemon.get(), ch.count(table, "via = 'daemon'"));
            assertEquals(viaHttps.get(), ch.count(table, "via = 'https'"));
            assertEquals(1, ch.count(table, "via = 'new'"));
        }
    }

    private interface Request {
        HttpResponse<String> send(int i) throws Exception;
    }

    /** Sends requests one after another until stopped, counting those answered 200 and noting any other answer. */
    private static Thread sender(AtomicBoolean stop, List<String> failures, AtomicInteger ok, Request request) {
        return new Thread(() -> {
            for (int i = 1; !stop.get(); i++) {
                try {
                    HttpResponse<String> r = request.send(i);
                    if (r.statusCode() == 200) {
                        ok.incrementAndGet();
                    } else {
                        failures.add(r.statusCode() + " " + r.body());
                    }
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }
        });
    }

    private static HttpResponse<String> post(HttpClient https, URI insert, String token, String rows)
            throws Exception {
        return https.send(HttpRequest.newBuilder(insert).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(rows)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void install(TestCertificates.Pem pem, Path cert, Path key) throws Exception {
        Files.copy(pem.certificate(), cert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(pem.privateKey(), key, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The subject of the certificate a new connection to the aggregator is shown. */
    private static String serverCertificate(TestCertificates certs, int port) throws Exception {
        try (SSLSocket s = (SSLSocket) certs.trustingContext().getSocketFactory().createSocket("127.0.0.1", port)) {
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        }
    }
}
