package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.catflap.testkit.ClickHouseServer;
import io.catflap.testkit.TestCertificates;
import java.net.Socket;
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
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * TLS on the data port and towards ClickHouse, against a real ClickHouse that answers HTTPS with a test CA's
 * certificate: requests travel encrypted both ways, and senders that do not complete a handshake are closed
 * without a word in the log.
 */
class TlsIT {
    private static final Logger ROOT = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    @TempDir
    static Path dir;
    private static TestCertificates certs;
    private static Path liveCert;
    private static Path liveKey;
    private static ClickHouseServer ch;
    private static Aggregator agg;
    private static HttpClient https;
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeAll
    static void start() throws Exception {
        certs = TestCertificates.create(dir);
        TestCertificates.Pem clickhouse = certs.server("clickhouse");
        ch = ClickHouseServer.withHttps(clickhouse.certificate(), clickhouse.privateKey());
        liveCert = dir.resolve("live.crt");
        liveKey = dir.resolve("live.key");
        install(certs.server("aggregator-1"));
        agg = Aggregator.start(TestAggregators.local(ch.httpsUrl()).clickhouseCa(certs.ca())
                .tls(liveCert, liveKey).readTimeoutMillis(1000)
                .flushIntervalMillis(50));
        https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(certs.trustingContext())
                .build();
    }

    @AfterAll
    static void stop() {
        if (agg != null) {
            agg.close();
        }
    }

    @BeforeEach
    void listen() {
        logged.start();
        ROOT.addAppender(logged);
    }

    @AfterEach
    void unlisten() {
        ROOT.detachAppender(logged);
    }

    @Test
    void insertsAndQueriesTravelOverTlsBothWays() throws Exception {
        String table = ch.createTable("tls", "id UInt32");
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(query("INSERT INTO " + table + " VALUES"))
                    .POST(HttpRequest.BodyPublishers.ofString("(" + i + ")")));
            assertEquals(200, r.statusCode(), r.body());
        }
        HttpResponse<String> count = send(HttpRequest.newBuilder(query("SELECT count() FROM " + table)));
        assertEquals("10", count.body().strip());
        assertEquals(10, ch.count(table));
    }

    @Test
    void aPlaintextSenderIsClosedQuietly() throws Exception {
        double before = TestAggregators.badRequests(agg, "tls_handshake");
        try (Socket s = new Socket("127.0.0.1", agg.port())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getInputStream().readAllBytes();   // a TLS alert at most, then the close
        }
        assertEquals(before + 1, TestAggregators.badRequests(agg, "tls_handshake"));
        assertEquals(List.of(), warnings());
    }

    @Test
    void aStalledHandshakeIsClosedAtTheReadTimeout() throws Exception {
        double before = TestAggregators.badRequests(agg, "tls_handshake");
        try (Socket s = new Socket("127.0.0.1", agg.port())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01});   // a handshake record begins, and no more
            s.getInputStream().readAllBytes();
        }
        assertEquals(before + 1, TestAggregators.badRequests(agg, "tls_handshake"));
        assertEquals(List.of(), warnings());
    }

    @Test
    void aReloadGivesNewConnectionsTheNewCertificateAndABadFileKeepsIt() throws Exception {
        assertEquals("CN=aggregator-1", serverCertificate());
        install(certs.server("aggregator-2"));
        agg.reload();
        assertEquals("CN=aggregator-2", serverCertificate());
        assertEquals(List.of(), warnings());

        Files.writeString(liveKey, "not a key");
        agg.reload();
        assertEquals("CN=aggregator-2", serverCertificate());
        assertEquals(1, warnings().size(), warnings().toString());
        assertTrue(warnings().get(0).startsWith("reloading the data port's TLS failed") && warnings().get(0)
                .contains(liveKey.toString()), warnings().get(0));
        install(certs.server("aggregator-1"));
        agg.reload();
    }

    private static void install(TestCertificates.Pem pem) throws Exception {
        Files.copy(pem.certificate(), liveCert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(pem.privateKey(), liveKey, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The subject of the certificate a new connection to the data port is shown. */
    private static String serverCertificate() throws Exception {
        try (SSLSocket s = (SSLSocket) certs.trustingContext().getSocketFactory().createSocket("127.0.0.1",
                agg.port())) {
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        }
    }

    private static URI query(String sql) {
        return URI.create("https://127.0.0.1:" + agg.port() + "/?query="
                + URLEncoder.encode(sql, StandardCharsets.UTF_8).replace("+", "%20"));
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return https.send(request.timeout(TestHttp.TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<String> warnings() {
        return logged.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .map(ILoggingEvent::getFormattedMessage).toList();
    }
}
