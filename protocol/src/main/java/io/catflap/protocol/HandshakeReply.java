package io.catflap.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

import static io.catflap.protocol.ProtocolException.Kind.BAD_HANDSHAKE;
import static io.catflap.protocol.ProtocolException.Kind.HANDSHAKE_TOO_LARGE;

/**
 * The server's answer to a {@link Handshake}. Accepting is {@code HTTP/1.1 200 OK}, {@code Content-Length: 4},
 * an empty line and {@code MEOW} — kittenhouse's client compares the status line and the header spelling
 * literally. Anything else tells the client that KITTEN is not spoken here (it falls back to HTTP), or, as
 * a catflap extension, that it was refused (401 for a missing or wrong bearer token).
 */
public final class HandshakeReply {
    private static final byte[] MEOW = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nMEOW".getBytes(StandardCharsets.US_ASCII);
    private static final int MEOW_BODY_BYTES = 4;

    /**
     * Header of a MEOW reply listing the catflap extensions the server speaks, e.g. {@code lz4}
     * (catflap extension); in a client's handshake, the extensions the client asks for ({@link Handshake#features()}). kittenhouse's client skips headers it does not know, and kittenhouse's server
     * never sends it — so a client sends LZ4 bodies only where it was advertised: a kittenhouse server would
     * ignore flag 0x02 and hand the compressed bytes to ClickHouse as rows.
     */
    public static final String FEATURES_HEADER = "X-Catflap-Features";
    private static final Pattern FEATURE = Pattern.compile("[a-z0-9-]+");

    private HandshakeReply() {
    }

    /**
     * What the server answered. {@code meow} is true only for status 200 with body {@code MEOW};
     * {@code features} are those of a {@value HandshakeReply#FEATURES_HEADER} header (lower-case), empty without one.
     */
    public record Result(boolean meow, int status, String body, Set<String> features) {
        public Result {
            Objects.requireNonNull(body, "body");
            features = Set.copyOf(features);
        }

        /** A result without advertised features. */
        public Result(boolean meow, int status, String body) {
            this(meow, status, body, Set.of());
        }

        /** Whether the server advertised {@link Kitten#FEATURE_LZ4}: only then may a client send LZ4 bodies. */
        public boolean lz4() {
            return meow && features.contains(Kitten.FEATURE_LZ4);
        }

        /**
         * Whether the server advertised {@link Kitten#FEATURE_DEDUP}: only then may a client send idempotency keys
         * (kittenhouse's server would take the key for rows).
         */
        public boolean dedup() {
            return meow && features.contains(Kitten.FEATURE_DEDUP);
        }
    }

    /** The accepting reply: {@code "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nMEOW"}. */
    public static byte[] meow() {
        return MEOW.clone();
    }

    /**
     * The accepting reply advertising catflap extensions: as {@link #meow()} with a {@value #FEATURES_HEADER}
     * header before the empty line; exactly {@link #meow()} when {@code features} is empty.
     *
     * @throws IllegalArgumentException for a feature name that is not {@code [a-z0-9-]+}
     */
    public static byte[] meow(Collection<String> features) {
        if (features.isEmpty()) {
            return meow();
        }
        return ("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n" + featuresHeader(features) + "\r\nMEOW")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** {@code "X-Catflap-Features: a, b\r\n"}; shared with {@link Handshake#encode(String, Collection)}. */
    static String featuresHeader(Collection<String> features) {
        for (String f : features) {
            if (!FEATURE.matcher(f).matches()) {
                throw new IllegalArgumentException("feature names are [a-z0-9-]+, got " + Texts.excerpt(f));
            }
        }
        return FEATURES_HEADER + ": " + String.join(", ", features) + "\r\n";
    }

    /**
     * A refusal, e.g. {@code refuse(401, "Unauthorized", "missing or unknown bearer token")}; it carries
     * {@code Connection: close} and the server closes the connection after writing it.
     *
     * @throws IllegalArgumentException for a status outside 300..599, a reason with control characters,
     *                                  or a reply longer than {@link Kitten#MAX_HANDSHAKE_BYTES}
     */
    public static byte[] refuse(int status, String reason, String body) {
        if (status < 300 || status > 599) {
            throw new IllegalArgumentException("a refusal needs a status in 300..599, got " + status);
        }
        if (!reason.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("reason must be printable ASCII: " + Texts.excerpt(reason));
        }
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("HTTP/1.1 " + status + " " + reason + "\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: " + content.length + "\r\n"
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        if (head.length + content.length > Kitten.MAX_HANDSHAKE_BYTES) {
            throw new IllegalArgumentException("refusal longer than " + Kitten.MAX_HANDSHAKE_BYTES + " bytes");
        }
        byte[] reply = new byte[head.length + content.length];
        System.arraycopy(head, 0, reply, 0, head.length);
        System.arraycopy(content, 0, reply, head.length, content.length);
        return reply;
    }

    /**
     * Client side: decodes the server's reply and consumes it. Extra headers (Date, Server, ...) are
     * accepted, as a real HTTP server sends them.
     *
     * @return the result, or null (reader index untouched) while the reply is incomplete
     * @throws ProtocolException BAD_HANDSHAKE if the reply is not HTTP, HANDSHAKE_TOO_LARGE if it (with its
     *                           declared body) is longer than {@code maxBytes}
     */
    public static Result decode(ByteBuf in, int maxBytes) {
        HttpHead head = HttpHead.parse(in, maxBytes, "KITTEN handshake reply", "HTTP/1.");
        if (head == null) {
            return null;
        }
        int status = status(head.startLine());
        int bodyBytes = bodyBytes(head, status);
        if ((long) head.length() + bodyBytes > maxBytes) {
            throw new ProtocolException(HANDSHAKE_TOO_LARGE, "KITTEN handshake reply declares a body of "
                    + bodyBytes + " bytes, over the limit of " + maxBytes + " bytes for the whole reply");
        }
        if (in.readableBytes() < head.length() + bodyBytes) {
            return null;
        }
        String body = in.toString(in.readerIndex() + head.length(), bodyBytes, StandardCharsets.UTF_8);
        in.skipBytes(head.length() + bodyBytes);
        return new Result(status == 200 && body.equals("MEOW"), status, body, features(head));
    }

    private static Set<String> features(HttpHead head) {
        return parseFeatures(head.headers().get(FEATURES_HEADER.toLowerCase(Locale.ROOT)));
    }

    /** The names of a {@value #FEATURES_HEADER} value, lower-case; empty for null. */
    static Set<String> parseFeatures(String list) {
        if (list == null) {
            return Set.of();
        }
        Set<String> features = new HashSet<>();
        for (String f : list.split(",")) {
            String name = f.strip().toLowerCase(Locale.ROOT);
            if (!name.isEmpty()) {
                features.add(name);
            }
        }
        return features;
    }

    /** Status line: "HTTP/1.x" SP 3DIGIT [SP reason]. */
    private static int status(String line) {
        if (line.length() < 12 || line.charAt(8) != ' ' || (line.length() > 12 && line.charAt(12) != ' ')
                || !Character.isDigit(line.charAt(7))) {
            throw badStatusLine(line);
        }
        int status = 0;
        for (int i = 9; i < 12; i++) {
            char c = line.charAt(i);
            if (c < '0' || c > '9') {
                throw badStatusLine(line);
            }
            status = status * 10 + (c - '0');
        }
        return status;
    }

    private static ProtocolException badStatusLine(String line) {
        return new ProtocolException(BAD_HANDSHAKE, "KITTEN handshake reply has a malformed status line: \""
                + Texts.excerpt(line) + "\"");
    }

    /**
     * Body length: Content-Length when given; none for a chunked reply (it is not MEOW either way and the
     * client drops the connection); and, like kittenhouse's client, the 4 bytes of MEOW for a 200 without
     * Content-Length.
     */
    private static int bodyBytes(HttpHead head, int status) {
        String length = head.headers().get("content-length");
        if (length == null) {
            return status == 200 && !head.headers().containsKey("transfer-encoding") ? MEOW_BODY_BYTES : 0;
        }
        if (length.isEmpty() || length.length() > 9 || !length.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new ProtocolException(BAD_HANDSHAKE, "KITTEN handshake reply has an invalid Content-Length: \""
                    + Texts.excerpt(length) + "\"");
        }
        return Integer.parseInt(length);
    }
}
