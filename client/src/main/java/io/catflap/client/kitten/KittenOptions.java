package io.catflap.client.kitten;

import java.time.Duration;
import java.util.Objects;

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
 */
public record KittenOptions(String bearerToken, boolean lz4, Duration connectTimeout, Duration responseTimeout,
                            Duration idleTimeout) {

    public KittenOptions {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(responseTimeout, "responseTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
    }

    /** kittenhouse's timeouts, no token, no compression. */
    public static KittenOptions defaults() {
        return new KittenOptions(null, false, Duration.ofSeconds(5), Duration.ofMinutes(1), Duration.ofSeconds(30));
    }

    public KittenOptions withBearerToken(String token) {
        return new KittenOptions(token, lz4, connectTimeout, responseTimeout, idleTimeout);
    }

    public KittenOptions withLz4(boolean on) {
        return new KittenOptions(bearerToken, on, connectTimeout, responseTimeout, idleTimeout);
    }
}
