package io.catflap.protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static io.catflap.protocol.ProtocolException.Kind.BAD_TABLE;
import static io.catflap.protocol.ProtocolException.Kind.EMPTY_TABLE;
import static io.catflap.protocol.ProtocolException.Kind.TABLE_TOO_LONG;

/**
 * A parsed table string {@code [db.]table[@shard][(col1, col2, ...)]}. Every name is an identifier
 * ClickHouse accepts — plain {@code [A-Za-z_][A-Za-z0-9_]*} or back-quoted with {@code \`} and {@code \\}
 * as the only escapes — and is always written back quoted, so nothing but names reaches SQL.
 * The kittenhouse shard suffix ({@code @shard}, letters, digits, {@code _} and {@code -}) is kept for
 * routing and dropped from everything SQL sees.
 *
 * @param database null when the string names no database: the upstream's default database
 * @param table    the table name
 * @param columns  the column list; empty = all columns
 * @param shard    the kittenhouse shard suffix, or null
 */
public record TableSpec(String database, String table, List<String> columns, String shard) {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern SHARD = Pattern.compile("[A-Za-z0-9_-]+");

    /** @throws IllegalArgumentException for an empty name, a name with control characters or a bad shard */
    public TableSpec {
        if (database != null) {
            checkName(database, "database");
        }
        checkName(table, "table");
        columns = List.copyOf(columns);
        columns.forEach(c -> checkName(c, "column"));
        if (shard != null && !SHARD.matcher(shard).matches()) {
            throw new IllegalArgumentException("shard must match " + SHARD.pattern() + ": " + Texts.excerpt(shard));
        }
    }

    private static void checkName(String name, String what) {
        Objects.requireNonNull(name, what);
        if (name.isEmpty() || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException(what + " name must be non-empty without control characters: "
                    + Texts.excerpt(name));
        }
    }

    /**
     * Parses a table string as kittenhouse clients send it, e.g. {@code internal_logs_buffer(time,server,port)}
     * or {@code db.events@3(ts, `user id`)}. Spaces and tabs are allowed at both ends and around the
     * column list's parentheses and commas; nowhere else.
     *
     * @throws ProtocolException EMPTY_TABLE, TABLE_TOO_LONG, or BAD_TABLE naming the offending position
     */
    public static TableSpec parse(String s) {
        if (s.isBlank()) {
            throw new ProtocolException(EMPTY_TABLE, "table string is empty");
        }
        int utf8 = s.getBytes(StandardCharsets.UTF_8).length;
        if (utf8 > Kitten.MAX_TABLE_BYTES) {
            throw new ProtocolException(TABLE_TOO_LONG, "table string of " + utf8
                    + " bytes is over the limit of " + Kitten.MAX_TABLE_BYTES);
        }
        return new Parser(s).spec();
    }

    /** {@code `db`.`table`} or {@code `table`}: always back-quoted, safe to put into SQL. */
    public String qualifiedName() {
        return database == null ? quote(table) : quote(database) + "." + quote(table);
    }

    /** {@code ""} for all columns, else {@code " (`a`, `b`)"}. */
    public String columnList() {
        return columns.isEmpty() ? "" : columns.stream().map(TableSpec::quote).collect(Collectors.joining(", ", " (", ")"));
    }

    /** {@code INSERT INTO `db`.`t` (`a`, `b`)}, to be followed by {@code FORMAT ...} or {@code VALUES}. */
    public String insertInto() {
        return "INSERT INTO " + qualifiedName() + columnList();
    }

    /** The canonical table string without the shard, e.g. {@code db.t(a,`b c`)}: equal for equal targets. */
    public String withoutShard() {
        return render(null);
    }

    /** The canonical table string with the shard, e.g. {@code db.t@2(a,b)}. */
    @Override
    public String toString() {
        return render(shard);
    }

    private String render(String shardOrNull) {
        StringBuilder b = new StringBuilder();
        if (database != null) {
            b.append(canonical(database)).append('.');
        }
        b.append(canonical(table));
        if (shardOrNull != null) {
            b.append('@').append(shardOrNull);
        }
        if (!columns.isEmpty()) {
            b.append(columns.stream().map(TableSpec::canonical).collect(Collectors.joining(",", "(", ")")));
        }
        return b.toString();
    }

    static String quote(String name) {
        return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`";
    }

    private static String canonical(String name) {
        return PLAIN.matcher(name).matches() ? name : quote(name);
    }

    /** Recursive descent over the table string; positions in messages are 0-based character offsets. */
    private static final class Parser {
        private final String s;
        private int pos;

        Parser(String s) {
            this.s = s;
        }

        TableSpec spec() {
            skipSpaces();
            String first = identifier("a table name");
            String database = null;
            String table = first;
            if (peek('.')) {
                pos++;
                database = first;
                table = identifier("a table name after '.'");
            }
            String shard = null;
            if (peek('@')) {
                pos++;
                shard = shard();
            }
            skipSpaces();
            List<String> columns = List.of();
            if (peek('(')) {
                pos++;
                columns = columns();
                skipSpaces();
            }
            if (pos < s.length()) {
                throw error("unexpected " + describe(pos) + " at position " + pos);
            }
            return new TableSpec(database, table, columns, shard);
        }

        private List<String> columns() {
            List<String> columns = new ArrayList<>();
            Set<String> seen = new HashSet<>();   // a list lookup would make thousands of columns quadratic
            while (true) {
                skipSpaces();
                int at = pos;
                String column = identifier("a column name");
                if (!seen.add(column)) {
                    throw error("column " + quote(column) + " is listed twice (position " + at + ")");
                }
                columns.add(column);
                skipSpaces();
                if (peek(')')) {
                    pos++;
                    return columns;
                }
                if (!peek(',')) {
                    throw error("expected ',' or ')' at position " + pos + ", found " + describe(pos));
                }
                pos++;
            }
        }

        private String shard() {
            int start = pos;
            while (pos < s.length() && isShardChar(s.charAt(pos))) {
                pos++;
            }
            if (pos == start) {
                throw error("expected a shard (letters, digits, '_', '-') after '@' at position " + pos
                        + ", found " + describe(pos));
            }
            return s.substring(start, pos);
        }

        private String identifier(String what) {
            if (peek('`')) {
                return backQuoted();
            }
            int start = pos;
            if (pos < s.length() && isIdentStart(s.charAt(pos))) {
                pos++;
                while (pos < s.length() && isIdentPart(s.charAt(pos))) {
                    pos++;
                }
            }
            if (pos == start) {
                throw error("expected " + what + " at position " + pos + ", found " + describe(pos));
            }
            return s.substring(start, pos);
        }

        /** {@code `...`} where only {@code \`} and {@code \\} are escapes. */
        private String backQuoted() {
            int start = pos++;
            StringBuilder name = new StringBuilder();
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '`') {
                    pos++;
                    if (name.length() == 0) {
                        throw error("empty back-quoted identifier at position " + start);
                    }
                    return name.toString();
                }
                if (c < 0x20 || c == 0x7f) {
                    throw error("control character " + describe(pos) + " in identifier at position " + pos);
                }
                if (c == '\\') {
                    char next = pos + 1 < s.length() ? s.charAt(pos + 1) : 0;
                    if (next != '`' && next != '\\') {
                        throw error("unsupported escape at position " + pos + " (only \\` and \\\\ are allowed)");
                    }
                    c = next;
                    pos++;
                }
                name.append(c);
                pos++;
            }
            throw error("unterminated back-quoted identifier starting at position " + start);
        }

        private void skipSpaces() {
            while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
                pos++;
            }
        }

        private boolean peek(char c) {
            return pos < s.length() && s.charAt(pos) == c;
        }

        private String describe(int at) {
            return at >= s.length() ? "end of string" : "'" + Texts.excerpt(String.valueOf(s.charAt(at))) + "'";
        }

        private ProtocolException error(String what) {
            return new ProtocolException(BAD_TABLE, "bad table string \"" + Texts.excerpt(s) + "\": " + what);
        }

        private static boolean isIdentStart(char c) {
            return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_';
        }

        private static boolean isIdentPart(char c) {
            return isIdentStart(c) || c >= '0' && c <= '9';
        }

        private static boolean isShardChar(char c) {
            return isIdentPart(c) || c == '-';
        }
    }
}
