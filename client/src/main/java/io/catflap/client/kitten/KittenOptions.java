package io.catflap.client.kitten;

import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * Settings of a {@link KittenClient}.
 *
 * @param bearerToken     sent in the handshake as {@code Authorization: Bearer ...}; null sends kittenhouse's bare
 *                        handshake, which every KITTEN server accepts unless it requires tokens
 * @param lz4             compress request bodies (flag 0x02); only catflap aggregators understand it, so it is off
 *                        by default and must be switched on only towards them
 * @param connectTimeout  TCP connect plus handshake; a peer that stays silent this long is taken as not speaking
 *                        KITTEN (kittenhouse waits 5 s)
 * @param responseTimeout a request still unanswered after this long closes the connection and fails every request
 *                        on it (kittenhouse: one minute)
 * @param idleTimeout     an idle connection is closed after this long, before the server drops it (the kittenhouse
 *                        server drops idle connections after a minute, its client closes them after 30 s)
 * @param tls             TLS towards the server, for KITTEN and ClickHouse HTTP alike ({@link #tls}); null:
 *                        plaintext, which every kittenhouse server speaks
 */
public record KittenOptions(String bearerToken, boolean lz4, Duration connectTimeout, Duration responseTimeout,
                            Duration idleTimeout, JdkSslContext tls) {

    public KittenOptions {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(responseTimeout, "responseTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
    }

    /** kittenhouse's timeouts, no token, no compression, no TLS. */
    public static KittenOptions defaults() {
        return new KittenOptions(null, false, Duration.ofSeconds(5), Duration.ofMinutes(1), Duration.ofSeconds(30),
                null);
    }

    public KittenOptions withBearerToken(String token) {
        return new KittenOptions(token, lz4, connectTimeout, responseTimeout, idleTimeout, tls);
    }

    public KittenOptions withLz4(boolean on) {
        return new KittenOptions(bearerToken, on, connectTimeout, responseTimeout, idleTimeout, tls);
    }

    public KittenOptions withTls(JdkSslContext context) {
        return new KittenOptions(bearerToken, lz4, connectTimeout, responseTimeout, idleTimeout, context);
    }

    /**
     * A client TLS context: servers must present a certificate for the name they are reached by, signed by a CA in
     * {@code ca} (PEM; null: the JVM's trust store); {@code certificate} with its PKCS#8 {@code key} (PEM files; both
     * null for none) is shown to servers that ask who the client is. The JDK's TLS, as the JDK's HTTP client of the
     * ClickHouse HTTP fallback takes the same context.
     */
    public static JdkSslContext tls(Path ca, Path certificate, Path key) throws SSLException {
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK);
        if (ca != null) {
            b.trustManager(ca.toFile());
        }
        if (certificate != null || key != null) {
            b.keyManager(Objects.requireNonNull(certificate, "certificate").toFile(),
                    Objects.requireNonNull(key, "key").toFile());
        }
        return (JdkSslContext) b.build();
    }
}
