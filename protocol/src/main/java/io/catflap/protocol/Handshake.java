package io.catflap.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import static io.catflap.protocol.ProtocolException.Kind.BAD_HANDSHAKE;

/**
 * The client's handshake: an HTTP/1.x request with method {@code KITTEN}, optional headers, an empty line
 * and no body. kittenhouse's client sends exactly {@code "KITTEN / HTTP/1.1\n\n"} (bare LF, no Host);
 * catflap's client may add {@code Authorization: Bearer <token>} and {@code X-Catflap-Features: <name>, ...}
 * (catflap extensions) with CRLF line ends.
 *
 * @param target  the request target, {@code /} in practice
 * @param headers header values by lower-case name
 */
public record Handshake(String target, Map<String, String> headers) {
    private static final String METHOD = "KITTEN";
    private static final byte[] PREFIX = (METHOD + " ").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KITTENHOUSE = "KITTEN / HTTP/1.1\n\n".getBytes(StandardCharsets.US_ASCII);
    /** RFC 6750 b64token: what a bearer token may consist of. */
    private static final Pattern TOKEN68 = Pattern.compile("[A-Za-z0-9\\-._~+/]+=*");
    private static final Pattern BEARER = Pattern.compile("(?i)bearer +(" + TOKEN68.pattern() + ")");

    public Handshake {
        Objects.requireNonNull(target, "target");
        headers = Map.copyOf(headers);
    }

    /**
     * The catflap extensions the client asked for in a {@value HandshakeReply#FEATURES_HEADER} header (lower-case),
     * empty without one (kittenhouse's client): a server advertises, and so enables, only features asked for.
     */
    public Set<String> features() {
        return HandshakeReply.parseFeatures(headers.get(HandshakeReply.FEATURES_HEADER.toLowerCase(Locale.ROOT)));
    }

    /** The token of an {@code Authorization: Bearer <token>} header; empty when absent or malformed. */
    public Optional<String> bearerToken() {
        String auth = headers.get("authorization");
        if (auth == null) {
            return Optional.empty();
        }
        var m = BEARER.matcher(auth);
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /**
     * Whether the readable bytes start with {@code "KITTEN "}, i.e. this connection speaks KITTEN rather
     * than plain HTTP. False until 7 bytes have arrived; does not move the reader index.
     */
    public static boolean startsLikeKitten(ByteBuf in) {
        if (in.readableBytes() < PREFIX.length) {
            return false;
        }
        for (int i = 0; i < PREFIX.length; i++) {
            if (in.getByte(in.readerIndex() + i) != PREFIX[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes a handshake and consumes its bytes.
     *
     * @return the handshake, or null (reader index untouched) while it is incomplete
     * @throws ProtocolException BAD_HANDSHAKE if malformed, HANDSHAKE_TOO_LARGE if it does not end within
     *                           {@code maxBytes}
     */
    public static Handshake decode(ByteBuf in, int maxBytes) {
        HttpHead head = HttpHead.parse(in, maxBytes, "KITTEN handshake", METHOD + " ");
        if (head == null) {
            return null;
        }
        // Request line: "KITTEN" SP target SP "HTTP/1.1" (HTTP/1.0 accepted as well).
        String[] parts = head.startLine().split(" ", -1);
        if (parts.length != 3 || parts[1].isEmpty() || !(parts[2].equals("HTTP/1.1") || parts[2].equals("HTTP/1.0"))) {
            throw new ProtocolException(BAD_HANDSHAKE, "KITTEN handshake request line is not \"KITTEN <target> HTTP/1.1\": \""
                    + Texts.excerpt(head.startLine()) + "\"");
        }
        in.skipBytes(head.length());
        return new Handshake(parts[1], head.headers());
    }

    /**
     * The handshake bytes a client sends: exactly kittenhouse's {@code "KITTEN / HTTP/1.1\n\n"} without a
     * token, else a CRLF request carrying {@code Authorization: Bearer <token>}.
     *
     * @throws IllegalArgumentException if the token is not a valid bearer token (RFC 6750 b64token)
     */
    public static byte[] encode(String bearerTokenOrNull) {
        return encode(bearerTokenOrNull, List.of());
    }

    /**
     * As {@link #encode(String)}, plus a {@value HandshakeReply#FEATURES_HEADER} header asking for catflap
     * extensions when {@code features} is not empty (after the token, CRLF line ends).
     *
     * @throws IllegalArgumentException for an invalid token or a feature name that is not {@code [a-z0-9-]+}
     */
    public static byte[] encode(String bearerTokenOrNull, Collection<String> features) {
        if (bearerTokenOrNull == null && features.isEmpty()) {
            return KITTENHOUSE.clone();
        }
        StringBuilder request = new StringBuilder("KITTEN / HTTP/1.1\r\n");
        if (bearerTokenOrNull != null) {
            if (!TOKEN68.matcher(bearerTokenOrNull).matches()) {
                throw new IllegalArgumentException("not a valid bearer token (allowed: A-Z a-z 0-9 - . _ ~ + / and trailing =)");
            }
            request.append("Authorization: Bearer ").append(bearerTokenOrNull).append("\r\n");
        }
        if (!features.isEmpty()) {
            request.append(HandshakeReply.featuresHeader(features));
        }
        return request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }
}
