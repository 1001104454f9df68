package io.catflap.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import static io.catflap.protocol.ProtocolException.Kind.BAD_HANDSHAKE;
import static io.catflap.protocol.ProtocolException.Kind.HANDSHAKE_TOO_LARGE;

/**
 * The start line and header lines of the HTTP/1.x message that opens a KITTEN connection (both the
 * client's request and the server's reply). Lines end in LF or CRLF — kittenhouse's client sends bare
 * LFs — and the head ends at the first empty line.
 *
 * @param startLine the request or status line, without its line end
 * @param headers   header values by lower-case name; repeated headers joined with ", " as HTTP allows
 * @param length    bytes the head occupies, including the empty line that ends it
 */
record HttpHead(String startLine, Map<String, String> headers, int length) {

    /**
     * Parses the head at {@code in}'s reader index without moving it.
     *
     * @param startsWith the bytes every valid start line begins with; a mismatch is rejected as soon as
     *                   the first differing byte arrives, so junk never waits for {@code maxBytes}
     * @return the head, or null while the empty line that ends it has not arrived
     * @throws ProtocolException BAD_HANDSHAKE for a malformed line, HANDSHAKE_TOO_LARGE when no empty line
     *                           appears within {@code maxBytes}
     */
    static HttpHead parse(ByteBuf in, int maxBytes, String what, String startsWith) {
        int start = in.readerIndex();
        int readable = in.readableBytes();
        checkStart(in, startsWith, what);

        int end = start + Math.min(readable, maxBytes);
        String startLine = null;
        Map<String, String> headers = new LinkedHashMap<>();
        int lineStart = start;
        while (true) {
            int lf = in.indexOf(lineStart, end, (byte) '\n');
            if (lf < 0) {
                if (readable >= maxBytes) {
                    throw new ProtocolException(HANDSHAKE_TOO_LARGE,
                            what + " has no end of headers within " + maxBytes + " bytes");
                }
                return null;
            }
            // A CR is only allowed directly before the LF (CRLF line end).
            int lineEnd = lf > lineStart && in.getByte(lf - 1) == '\r' ? lf - 1 : lf;
            String line = line(in, lineStart, lineEnd, start, what);
            lineStart = lf + 1;
            if (startLine == null) {
                startLine = line;
            } else if (line.isEmpty()) {
                return new HttpHead(startLine, Map.copyOf(headers), lineStart - start);
            } else {
                addHeader(headers, line, what);
            }
        }
    }

    private static void checkStart(ByteBuf in, String startsWith, String what) {
        int n = Math.min(in.readableBytes(), startsWith.length());
        for (int i = 0; i < n; i++) {
            if (in.getByte(in.readerIndex() + i) != startsWith.charAt(i)) {
                throw new ProtocolException(BAD_HANDSHAKE, what + " does not start with \""
                        + startsWith.strip() + "\" (byte " + i + " is " + hex(in.getByte(in.readerIndex() + i)) + ")");
            }
        }
    }

    /** One line as ISO-8859-1 text; control characters other than TAB are refused. */
    private static String line(ByteBuf in, int from, int to, int headStart, String what) {
        for (int i = from; i < to; i++) {
            byte b = in.getByte(i);
            if ((b >= 0 && b < 0x20 && b != '\t') || b == 0x7f) {
                throw new ProtocolException(BAD_HANDSHAKE,
                        what + " has control byte " + hex(b) + " at offset " + (i - headStart));
            }
        }
        return in.toString(from, to - from, StandardCharsets.ISO_8859_1);
    }

    private static void addHeader(Map<String, String> headers, String line, String what) {
        if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
            throw new ProtocolException(BAD_HANDSHAKE, what + " has a folded header line (obsolete line folding is refused): \""
                    + Texts.excerpt(line) + "\"");
        }
        int colon = line.indexOf(':');
        if (colon <= 0) {
            throw new ProtocolException(BAD_HANDSHAKE, what + " has a header line without a name: \""
                    + Texts.excerpt(line) + "\"");
        }
        String name = line.substring(0, colon);
        for (int i = 0; i < name.length(); i++) {
            if (!isTokenChar(name.charAt(i))) {
                throw new ProtocolException(BAD_HANDSHAKE, what + " has an invalid header name \""
                        + Texts.excerpt(name) + "\" (character " + i + ")");
            }
        }
        String value = line.substring(colon + 1).strip();
        headers.merge(name.toLowerCase(Locale.ROOT), value, (a, b) -> a + ", " + b);
    }

    /** RFC 9110 tchar. */
    private static boolean isTokenChar(char c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    private static String hex(byte b) {
        return String.format("0x%02x", b & 0xff);
    }
}
