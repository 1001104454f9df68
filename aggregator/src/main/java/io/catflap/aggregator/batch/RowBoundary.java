package io.catflap.aggregator.batch;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * Checks that a text body ends on a row boundary of its format, counting its rows on the way: only such a body can
 * be concatenated with others (see {@link Batch#append}) without shifting or swallowing their rows. Each method
 * reads the body once, front to back, without allocating; it does not judge the values (ClickHouse does, and a bad
 * value fails loudly), only what decides where rows end: tuples, quotes, escapes, brackets and line ends.
 */
final class RowBoundary {
    /** Words VALUES literals are made of; any other word outside a string is an expression's. */
    private static final Set<String> LITERAL_WORDS = Set.of("null", "nan", "inf", "true", "false");
    private RowBoundary() {
    }

    /**
     * VALUES without the keyword, as ClickHouse reads it with {@code input_format_values_interpret_expressions=0}:
     * <pre>
     * body  := ws* tuple (ws* ',' ws* tuple)* ws*
     * tuple := '(' (quoted | '(' ... ')' | '[' ... ']' | other)* ')'     nesting balanced
     * quoted := '\'' (('\\' any) | not '\'')* '\''                     '' is two quotes: same balance
     * </pre>
     * Nothing may follow the last tuple: a {@code ;} ends a merged batch early on old servers, and a trailing comma
     * or garbage would join the next body's first tuple.
     *
     * @return the number of tuples
     */
    static long values(ByteBuf body) throws MalformedBody {
        // Read through a ByteBuffer view: its get(int) is a bounds check and a load, where ByteBuf.getByte also
        // checks the reference count; VALUES is the format of nearly every insert, and every byte is looked at.
        ByteBuffer b = body.nioBuffer();
        int base = body.readerIndex();
        int end = b.limit();
        int i = skipSpace(b, 0, end);
        long tuples = 0;
        while (true) {
            if (i == end) {
                if (tuples == 0) {
                    throw MalformedBody.at("VALUES", "no tuple", body, base + i);
                }
                return tuples;
            }
            if (b.get(i) != '(') {
                throw MalformedBody.at("VALUES", tuples == 0 ? "expected '(' to start a tuple"
                        : "expected '(' after ',' following tuple " + tuples, body, base + i);
            }
            i = tupleEnd(b, i, end, body, base);
            tuples++;
            i = skipSpace(b, i, end);
            if (i == end) {
                return tuples;
            }
            if (b.get(i) != ',') {
                throw MalformedBody.at("VALUES", "unexpected bytes after tuple " + tuples
                        + " (nothing may follow the last tuple)", body, base + i);
            }
            int comma = i;
            i = skipSpace(b, i + 1, end);
            if (i == end) {
                throw MalformedBody.at("VALUES", "trailing ',' after tuple " + tuples, body, base + comma);
            }
        }
    }

    /**
     * Whether a VALUES body may hold SQL expressions ({@code now()}, {@code lower('A')}) rather than literals only:
     * whether a word other than {@code NULL}, {@code nan}, {@code inf}, {@code true} or {@code false} stands outside
     * its quoted strings (a number's exponent is no word), or a string is left open. Operators alone ({@code 1+1})
     * are missed, which costs nothing: only bodies under their sender's own credentials are asked, whose batches
     * are inserted under those credentials with ClickHouse's own VALUES settings.
     */
    static boolean valuesMayHoldExpressions(ByteBuf body) {
        int end = body.writerIndex();
        for (int i = body.readerIndex(); i < end; i++) {
            byte c = body.getByte(i);
            if (c == '\'') {
                i = quotedEnd(body, i + 1, end, (byte) '\'', true) - 1;
                if (i < 0) {
                    return true;
                }
            } else if (isWordStart(c)) {
                int start = i;
                while (i + 1 < end && (isWordStart(body.getByte(i + 1)) || isDigit(body.getByte(i + 1)))) {
                    i++;
                }
                byte before = start == body.readerIndex() ? 0 : body.getByte(start - 1);
                if (!isDigit(before) && before != '.' && !LITERAL_WORDS.contains(
                        body.toString(start, i + 1 - start, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isWordStart(byte c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_';
    }

    private static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }

    /**
     * The index after the tuple opening at {@code start} of {@code b}: brackets balanced, strings closed (a backslash
     * escapes the next byte). {@code body} and {@code base} only place an error.
     */
    private static int tupleEnd(ByteBuffer b, int start, int end, ByteBuf body, int base) throws MalformedBody {
        int depth = 0;
        for (int i = start; i < end; i++) {
            byte c = b.get(i);
            if (c == '(' || c == '[') {
                depth++;
            } else if (c == ')' || c == ']') {
                if (--depth == 0) {
                    return i + 1;
                }
            } else if (c == '\'') {
                int closed = quotedEnd(b, i + 1, end, (byte) '\'', true);
                if (closed < 0) {
                    throw MalformedBody.at("VALUES", "unterminated string", body, base + i);
                }
                i = closed - 1;
            }
        }
        throw MalformedBody.at("VALUES", "unterminated tuple", body, base + start);
    }

    /**
     * CSV: one row per line; a field that starts with a quote (after spaces or tabs) runs to its closing quote, line
     * ends included, and a doubled quote inside it is one quote character (no backslash escapes). A line ends with
     * {@code \n}, {@code \r\n} or a lone {@code \r}. The last line may lack its line end (one is added).
     *
     * @param delimiter    the field delimiter ({@code format_csv_delimiter})
     * @param singleQuotes whether {@code '} quotes a field ({@code format_csv_allow_single_quotes})
     * @param doubleQuotes whether {@code "} quotes a field ({@code format_csv_allow_double_quotes})
     * @return the number of lines
     */
    static long csv(ByteBuf body, byte delimiter, boolean singleQuotes, boolean doubleQuotes) throws MalformedBody {
        int end = body.writerIndex();
        long lines = 0;
        boolean fieldStart = true;
        boolean lineEmpty = true;
        for (int i = body.readerIndex(); i < end; i++) {
            byte c = body.getByte(i);
            if (c == '\n' || c == '\r') {
                if (c == '\n' || i + 1 == end || body.getByte(i + 1) != '\n') {
                    lines++;
                }
                fieldStart = true;
                lineEmpty = true;
                continue;
            }
            lineEmpty = false;
            if (c == delimiter) {
                fieldStart = true;
            } else if (fieldStart && (c == ' ' || c == '\t')) {
                continue; // ClickHouse skips them before a field: a quote after them still opens it
            } else if (fieldStart && (c == '"' && doubleQuotes || c == '\'' && singleQuotes)) {
                int open = i;
                i = quotedEnd(body, i + 1, end, c, false) - 1;
                if (i < 0) {
                    throw MalformedBody.at("CSV", "unclosed quote (" + (char) c + ") in line " + (lines + 1),
                            body, open);
                }
                fieldStart = false;
            } else {
                fieldStart = false;
            }
        }
        return lineEmpty ? lines : lines + 1;
    }

    /**
     * TabSeparated: one row per line; a backslash escapes the next byte, so {@code \}+line feed is a line feed
     * inside a value, not a line end. The last line may lack its line end (one is added), but the body may not end
     * inside an escape: the added line end, or the next body's first line, would be taken into the value.
     *
     * @return the number of lines
     */
    static long tabSeparated(ByteBuf body) throws MalformedBody {
        int end = body.writerIndex();
        long lines = 0;
        boolean lineEmpty = true;
        for (int i = body.readerIndex(); i < end; i++) {
            byte c = body.getByte(i);
            if (c == '\\') {
                if (++i == end) {
                    throw MalformedBody.at("TabSeparated", "ends inside an escape sequence (a trailing backslash)",
                            body, i - 1);
                }
                if (i + 1 == end && body.getByte(i) == '\n') {
                    throw MalformedBody.at("TabSeparated", "ends with an escaped line feed (no line end)", body,
                            i - 1);
                }
                lineEmpty = false;
            } else if (c == '\n') {
                lines++;
                lineEmpty = true;
            } else {
                lineEmpty = false;
            }
        }
        return lineEmpty ? lines : lines + 1;
    }

    /**
     * JSONEachRow: complete top-level objects, separated by whitespace or commas (as ClickHouse reads them):
     * <pre>
     * body   := (ws | ',')* (object (ws | ',')*)*
     * object := '{' (string | '{' ... '}' | '[' ... ']' | other)* '}'   nesting balanced
     * string := '"' (('\\' any) | not '"')* '"'
     * </pre>
     *
     * @return the number of objects
     */
    static long jsonEachRow(ByteBuf body) throws MalformedBody {
        int end = body.writerIndex();
        long objects = 0;
        int depth = 0;
        int open = -1;
        for (int i = body.readerIndex(); i < end; i++) {
            byte c = body.getByte(i);
            if (depth == 0) {
                if (c == '{') {
                    depth = 1;
                    open = i;
                } else if (c != ',' && !isSpace(c)) {
                    throw MalformedBody.at("JSONEachRow", objects == 0 ? "expected '{' to start an object"
                            : "unexpected bytes after object " + objects, body, i);
                }
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) {
                    objects++;
                }
            } else if (c == '"') {
                int start = i;
                i = quotedEnd(body, i + 1, end, (byte) '"', true) - 1;
                if (i < 0) {
                    throw MalformedBody.at("JSONEachRow", "unterminated string in object " + (objects + 1), body,
                            start);
                }
            }
        }
        if (depth != 0) {
            throw MalformedBody.at("JSONEachRow", "unterminated object " + (objects + 1), body, open);
        }
        return objects;
    }

    /**
     * The index after the quote closing a string whose content starts at {@code from}, or -1 if the body ends
     * first; with {@code backslash}, a backslash escapes the byte after it.
     */
    private static int quotedEnd(ByteBuf body, int from, int end, byte quote, boolean backslash) {
        int base = body.readerIndex();
        int closed = quotedEnd(body.nioBuffer(), from - base, end - base, quote, backslash);
        return closed < 0 ? -1 : base + closed;
    }

    /** As {@link #quotedEnd(ByteBuf, int, int, byte, boolean)}, over a view: quoted strings are most of a row's bytes. */
    private static int quotedEnd(ByteBuffer b, int from, int end, byte quote, boolean backslash) {
        for (int i = from; i < end; i++) {
            byte c = b.get(i);
            if (c == quote) {
                return i + 1;
            }
            if (backslash && c == '\\') {
                i++;   // the next byte is escaped
            }
        }
        return -1;
    }

    private static int skipSpace(ByteBuffer b, int i, int end) {
        while (i < end && isSpace(b.get(i))) {
            i++;
        }
        return i;
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
    }
}
