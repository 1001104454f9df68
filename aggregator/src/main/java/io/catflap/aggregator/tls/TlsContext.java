package io.catflap.aggregator.tls;

import io.netty.channel.Channel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * A TLS context made from PEM files, and made again from them by {@link #reload()}: connections opened after a
 * reload get the new certificate and trust, open ones keep what they started with. The provider is Netty's default:
 * OpenSSL (netty-tcnative's BoringSSL, shipped for common platforms) where it loads, the JDK's TLS otherwise.
 */
public final class TlsContext {
    /**
     * On a data-port connection whose client presented a certificate that the client CA verified: its subject, set
     * once the TLS handshake completed, before the first request is read. Absent without TLS, without a client CA,
     * or when a client under {@link ClientAuth#OPTIONAL} presented none. {@link X500Principal#getName()} gives the
     * RFC 2253 form, e.g. {@code CN=host-1,O=ops}. The connection's identity for access decisions.
     */
    public static final AttributeKey<X500Principal> CLIENT_SUBJECT = AttributeKey.valueOf("catflap.tls.clientSubject");

    /** Builds a context from the files; throws when they do not make one. */
    private interface Builder {
        SslContext build() throws SSLException;
    }

    private final String files;
    private final Builder builder;
    private volatile SslContext current;

    private TlsContext(String files, Builder builder) {
        this.files = files;
        this.builder = builder;
        this.current = build();
    }

    /**
     * The data port's side: {@code certificate} (a PEM chain, the server's first) and its PKCS#8 {@code key}; with
     * {@code clientCa}, client certificates are checked against it as {@code clientAuth} says.
     *
     * @throws IllegalArgumentException naming the files, when they do not make a context
     */
    public static TlsContext server(Path certificate, Path key, Path clientCa, ClientAuth clientAuth) {
        String files = certificate + ", " + key + (clientCa == null ? "" : ", " + clientCa);
        return new TlsContext(files, () -> {
            SslContextBuilder b = SslContextBuilder.forServer(certificate.toFile(), key.toFile());
            if (clientCa != null) {
                b.trustManager(clientCa.toFile()).clientAuth(clientAuth);
            }
            return b.build();
        });
    }

    /**
     * A client's side: servers must present a certificate for the host name they are reached by, signed by a CA in
     * {@code ca} (PEM), or in the JVM's trust store when {@code ca} is null.
     *
     * @throws IllegalArgumentException naming the file, when it does not make a context
     */
    public static TlsContext client(Path ca) {
        return new TlsContext(ca == null ? "the JVM's trust store" : ca.toString(), () -> {
            SslContextBuilder b = SslContextBuilder.forClient();
            if (ca != null) {
                b.trustManager(ca.toFile());
            }
            return b.build();
        });
    }

    /**
     * Reads the files again for the connections opened from now on.
     *
     * @throws IllegalArgumentException naming the files, when they do not make a context; the current one stays
     */
    public void reload() {
        current = build();
    }

    private SslContext build() {
        try {
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {   // Netty reports unreadable PEM files as the latter
            throw new IllegalArgumentException("TLS from " + files + ": " + e.getMessage(), e);
        }
    }

    /**
     * The first handler of a new data-port connection: its handshake must complete within
     * {@code handshakeTimeoutMillis}, or the connection is closed; on completion the channel gets
     * {@link #CLIENT_SUBJECT} if the client proved one.
     */
    public SslHandler serverHandler(Channel ch, long handshakeTimeoutMillis) {
        SslHandler h = current.newHandler(ch.alloc());
        h.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
        h.handshakeFuture().addListener(f -> {
            X500Principal subject = f.isSuccess() ? subject(h.engine().getSession()) : null;
            if (subject != null) {
                ch.attr(CLIENT_SUBJECT).set(subject);
            }
        });
        return h;
    }

    /** The first handler of a connection to {@code host:port}: sends the name (SNI) and checks the certificate's. */
    public SslHandler clientHandler(Channel ch, String host, int port) {
        return current.newHandler(ch.alloc(), host, port);
    }

    private static X500Principal subject(SSLSession session) {
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate c ? c.getSubjectX500Principal() : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;   // no client certificate, which the context allowed
        }
    }

    @Override
    public String toString() {
        return "TLS from " + files;
    }
}
