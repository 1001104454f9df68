package io.catflap.aggregator.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.testkit.TestCertificates;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.ReferenceCountUtil;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Handshakes between a {@link TlsContext} server and a client, over channels whose bytes the test carries across. */
class TlsContextTest {
    @TempDir
    Path dir;
    private TestCertificates certs;
    private TestCertificates.Pem server;
    private EmbeddedChannel serverCh;
    private EmbeddedChannel clientCh;
    private SslHandler serverTls;

    @BeforeEach
    void certificates() {
        certs = TestCertificates.create(dir);
        server = certs.server("aggregator-1");
    }

    @AfterEach
    void close() {
        for (EmbeddedChannel ch : new EmbeddedChannel[] {serverCh, clientCh}) {
            if (ch != null) {
                ch.finishAndReleaseAll();
            }
        }
    }

    @Test
    void aVerifiedClientCertificateBecomesTheConnectionsSubject() throws Exception {
        handshake(TlsContext.server(server.certificate(), server.privateKey(), certs.ca(), ClientAuth.REQUIRE),
                certs.client("daemon-7"));
        assertTrue(serverTls.handshakeFuture().isSuccess());
        assertEquals("CN=daemon-7", serverCh.attr(TlsContext.CLIENT_SUBJECT).get().getName());
    }

    @Test
    void anOptionalCertificateMayBeLeftOut() throws Exception {
        handshake(TlsContext.server(server.certificate(), server.privateKey(), certs.ca(), ClientAuth.OPTIONAL), null);
        assertTrue(serverTls.handshakeFuture().isSuccess());
        assertNull(serverCh.attr(TlsContext.CLIENT_SUBJECT).get());
    }

    @Test
    void aRequiredCertificateMayNot() throws Exception {
        handshake(TlsContext.server(server.certificate(), server.privateKey(), certs.ca(), ClientAuth.REQUIRE), null);
        assertFalse(serverTls.handshakeFuture().isSuccess());
        assertFalse(serverCh.isOpen());
        assertNull(serverCh.attr(TlsContext.CLIENT_SUBJECT).get());
    }

    @Test
    void aStalledHandshakeEndsAtItsTimeout() {
        TlsContext tls = TlsContext.server(server.certificate(), server.privateKey(), null, ClientAuth.NONE);
        serverCh = new EmbeddedChannel();
        serverCh.freezeTime();
        serverTls = tls.serverHandler(serverCh, 1000);
        serverCh.pipeline().addLast(serverTls);
        serverCh.advanceTimeBy(1001, TimeUnit.MILLISECONDS);
        serverCh.runScheduledPendingTasks();
        assertInstanceOf(SslHandshakeTimeoutException.class, serverTls.handshakeFuture().cause());
        assertFalse(serverCh.isOpen());
    }

    @Test
    void aReloadServesNewConnectionsTheNewCertificateAndABadOneKeepsIt() throws Exception {
        Path cert = dir.resolve("live.crt");
        Path key = dir.resolve("live.key");
        install(server, cert, key);
        TlsContext tls = TlsContext.server(cert, key, null, ClientAuth.NONE);
        assertEquals("CN=aggregator-1", handshake(tls, null).getSubjectX500Principal().getName());

        install(certs.server("aggregator-2"), cert, key);
        tls.reload();
        assertEquals("CN=aggregator-2", handshake(tls, null).getSubjectX500Principal().getName());

        Files.writeString(key, "not a key");
        assertThrows(IllegalArgumentException.class, tls::reload);
        assertEquals("CN=aggregator-2", handshake(tls, null).getSubjectX500Principal().getName());
    }

    private static void install(TestCertificates.Pem pem, Path cert, Path key) throws Exception {
        Files.copy(pem.certificate(), cert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(pem.privateKey(), key, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Runs a handshake of a new connection; returns the certificate the client was shown. */
    private X509Certificate handshake(TlsContext tls, TestCertificates.Pem clientCert) throws SSLException {
        close();
        SslContextBuilder client = SslContextBuilder.forClient().trustManager(certs.ca().toFile());
        if (clientCert != null) {
            client.keyManager(clientCert.certificate().toFile(), clientCert.privateKey().toFile());
        }
        serverCh = new EmbeddedChannel();
        serverTls = tls.serverHandler(serverCh, 10_000);
        serverCh.pipeline().addLast(serverTls, new SwallowErrors());
        clientCh = new EmbeddedChannel();
        SslHandler clientTls = client.build().newHandler(clientCh.alloc(), "localhost", 8124);
        clientCh.pipeline().addLast(clientTls, new SwallowErrors());
        for (int i = 0; i < 20 && (carry(clientCh, serverCh) | carry(serverCh, clientCh)); i++) {
            // each round trip of the handshake
        }
        return clientTls.handshakeFuture().isSuccess()
                ? (X509Certificate) clientTls.engine().getSession().getPeerCertificates()[0] : null;
    }

    private static boolean carry(EmbeddedChannel from, EmbeddedChannel to) {
        boolean carried = false;
        for (Object o = from.readOutbound(); o != null; o = from.readOutbound()) {
            carried = true;
            if (to.isOpen()) {
                to.writeInbound(o);
            } else {
                ReferenceCountUtil.release(o);
            }
        }
        return carried;
    }

    /** A failed handshake closes the channel; its exception is no news here. */
    private static final class SwallowErrors extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        }
    }
}
