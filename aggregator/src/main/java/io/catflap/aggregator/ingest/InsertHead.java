package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.InsertFormat;
import io.catflap.protocol.TableSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The head of an INSERT statement — {@code INSERT INTO [TABLE] [db.]table [(cols)] VALUES | FORMAT name} — and
 * where its data starts. Only this form is batched; other INSERTs ({@code INSERT INTO t SELECT},
 * {@code INSERT INTO FUNCTION}, with SETTINGS) are ordinary queries for ClickHouse to run.
 *
 * @param table      the validated target
 * @param format     the data format (VALUES is {@link InsertFormat#VALUES})
 * @param dataOffset index in the parsed text where the data begins
 */
public record InsertHead(TableSpec table, InsertFormat format, int dataOffset) {

    /** What the text is. */
    public enum Kind {
        /** A batchable INSERT: {@link Parse#head()} is set. */
        INSERT,
        /** Something else (SELECT, INSERT ... SELECT, ...): a query to pass on. */
        NOT_INSERT,
        /** More text is needed to decide. */
        INCOMPLETE,
        /** An INSERT that cannot be parsed: {@link Parse#error()} says why. */
        INVALID
    }

    /** Result of {@link #parse}. */
    public record Parse(Kind kind, InsertHead head, String error) {
        static Parse of(Kind kind) {
            return new Parse(kind, null, null);
        }
    }

    /**
     * Parses the head at the start of {@code text}.
     *
     * @param complete whether {@code text} is all there is (else the end of the text may cut a word)
     */
    public static Parse parse(String text, boolean complete) {
        return new Parser(text, complete).parse();
    }

    /**
     * The first word of a statement after spaces and SQL comments, in upper case; empty when the text starts with
     * anything but a word (a parenthesis, a quote) or with an unterminated comment.
     */
    public static String leadingKeyword(String sql) {
        return new Parser(sql, true).leadingWord();
    }

    /** Thrown inside the parser to end it with a result. */
    private static final class Stop extends RuntimeException {
        final transient Parse result;

        Stop(Parse result) {
            super(null, null, false, false);
            this.result = result;
        }
    }

    private static final class Parser {
        private final String s;
        private final boolean complete;
        private int pos;

        Parser(String s, boolean complete) {
            this.s = s;
            this.complete = complete;
        }

        Parse parse() {
            try {
                skipSpaceAndComments();
                if (!keyword("INSERT")) {
                    return Parse.of(Kind.NOT_INSERT);
                }
                skipSpaceAndComments();
                if (!keyword("INTO")) {
                    throw invalid("expected INTO");
                }
                skipSpaceAndComments();
                if (keyword("FUNCTION")) {
                    return Parse.of(Kind.NOT_INSERT);
                }
                keyword("TABLE");
                skipSpaceAndComments();
                String first = identifier("table");
                String db = null;
                String table = first;
                if (peek() == '.') {
                    pos++;
                    db = first;
                    table = identifier("table");
                }
                skipSpaceAndComments();
                List<String> columns = new ArrayList<>();
                if (peek() == '(') {
                    pos++;
                    columns = columns();
                    skipSpaceAndComments();
                }
                TableSpec spec;
                try {
                    spec = new TableSpec(db, table, columns, null);
                } catch (IllegalArgumentException e) {
                    throw invalid(e.getMessage());
                }
                if (keyword("VALUES")) {
                    return new Parse(Kind.INSERT, new InsertHead(spec, InsertFormat.VALUES, pos), null);
                }
                if (keyword("FORMAT")) {
                    skipSpaceAndComments();
                    return new Parse(Kind.INSERT, new InsertHead(spec, formatName(), dataStart()), null);
                }
                if (keyword("SELECT") || keyword("WITH") || keyword("SETTINGS") || peek() == '(') {
                    return Parse.of(Kind.NOT_INSERT);
                }
                throw invalid("expected VALUES or FORMAT");
            } catch (Stop stop) {
                return stop.result;
            }
        }

        String leadingWord() {
            try {
                skipSpaceAndComments();
            } catch (Stop unterminatedComment) {
                return "";
            }
            int start = pos;
            while (pos < s.length() && isWordChar(s.charAt(pos))) {
                pos++;
            }
            return s.substring(start, pos).toUpperCase(Locale.ROOT);
        }

        private List<String> columns() {
            List<String> columns = new ArrayList<>();
            while (true) {
                skipSpaceAndComments();
                columns.add(identifier("column"));
                skipSpaceAndComments();
                char c = peek();
                pos++;
                if (c == ')') {
                    return columns;
                }
                if (c != ',') {
                    pos--;
                    throw invalid("expected ',' or ')' in the column list");
                }
            }
        }

        private InsertFormat formatName() {
            int start = pos;
            while (pos < s.length() && isWordChar(s.charAt(pos))) {
                pos++;
            }
            if (pos == s.length() && !complete) {
                throw incomplete();
            }
            if (pos == start) {
                throw invalid("expected a format name");
            }
            try {
                return InsertFormat.named(s.substring(start, pos));
            } catch (IllegalArgumentException e) {
                throw invalid(e.getMessage());
            }
        }

        /** As ClickHouse: data starts after the first line feed, if whitespace up to one follows, else after it. */
        private int dataStart() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                if (s.charAt(pos++) == '\n') {
                    return pos;
                }
            }
            if (pos == s.length() && !complete) {
                throw incomplete();
            }
            return pos;
        }

        private String identifier(String what) {
            char c = peek();
            if (c == '`' || c == '"') {
                pos++;
                StringBuilder b = new StringBuilder();
                while (true) {
                    char x = peek();
                    pos++;
                    if (x == c) {
                        return b.toString();
                    }
                    if (x == '\\') {
                        x = peek();
                        pos++;
                    }
                    b.append(x);
                }
            }
            int start = pos;
            while (pos < s.length() && isWordChar(s.charAt(pos))) {
                pos++;
            }
            if (pos == s.length() && !complete) {
                throw incomplete();
            }
            if (pos == start || Character.isDigit(s.charAt(start))) {
                throw invalid("expected a " + what + " name");
            }
            return s.substring(start, pos);
        }

        /** Consumes {@code word} (any case) if it is next as a whole word. */
        private boolean keyword(String word) {
            int end = pos + word.length();
            if (end > s.length()) {
                if (!complete && word.startsWith(s.substring(pos).toUpperCase(Locale.ROOT))) {
                    throw incomplete();
                }
                return false;
            }
            if (!s.regionMatches(true, pos, word, 0, word.length())) {
                return false;
            }
            if (end == s.length() && !complete) {
                throw incomplete();
            }
            if (end < s.length() && isWordChar(s.charAt(end))) {
                return false;
            }
            pos = end;
            return true;
        }

        private void skipSpaceAndComments() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (Character.isWhitespace(c)) {
                    pos++;
                } else if (s.startsWith("--", pos)) {
                    int nl = s.indexOf('\n', pos);
                    pos = nl < 0 ? s.length() : nl + 1;
                } else if (s.startsWith("/*", pos)) {
                    int end = s.indexOf("*/", pos + 2);
                    if (end < 0) {
                        throw complete ? invalid("unterminated comment") : incomplete();
                    }
                    pos = end + 2;
                } else {
                    return;
                }
            }
            if (!complete) {
                throw incomplete();
            }
        }

        private char peek() {
            if (pos < s.length()) {
                return s.charAt(pos);
            }
            throw complete ? invalid("unexpected end of the INSERT statement") : incomplete();
        }

        private static boolean isWordChar(char c) {
            return c == '_' || (c < 128 && Character.isLetterOrDigit(c));
        }

        private Stop incomplete() {
            return new Stop(Parse.of(Kind.INCOMPLETE));
        }

        private Stop invalid(String why) {
            String near = s.substring(pos, Math.min(s.length(), pos + 40));
            return new Stop(new Parse(Kind.INVALID, null, "Cannot parse INSERT statement: " + why + " at position "
                    + pos + (near.isEmpty() ? "" : " (near '" + near + "')")));
        }
    }
}
