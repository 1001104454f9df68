package io.catflap.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A ClickHouse with HTTPS answers over TLS with the test CA's certificate, which clients that trust the CA accept. */
class ClickHouseHttpsTest {
    @TempDir
    Path dir;
    @TempDir
    Path otherDir;

    @Test
    void answersHttpsWithTheGivenCertificate() throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        TestCertificates.Pem pem = certs.server("clickhouse");
        ClickHouseServer server = ClickHouseServer.withHttps(pem.certificate(), pem.privateKey());
        HttpRequest select = HttpRequest.newBuilder(URI.create(server.httpsUrl() + "/?query=SELECT%2042"))
                .timeout(Duration.ofSeconds(30)).build();

        HttpClient trusting = HttpClient.newBuilder().sslContext(certs.trustingContext()).build();
        assertEquals("42\n", trusting.send(select, HttpResponse.BodyHandlers.ofString()).body());
        assertEquals("1\n", server.query("SELECT 1"));   // the HTTP port answers as well

        HttpClient other = HttpClient.newBuilder().sslContext(TestCertificates.create(otherDir).trustingContext())
                .build();
        assertThrows(SSLHandshakeException.class, () -> other.send(select, HttpResponse.BodyHandlers.discarding()));
    }
}
