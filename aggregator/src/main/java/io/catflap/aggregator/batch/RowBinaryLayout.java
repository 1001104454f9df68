package io.catflap.aggregator.batch;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How the RowBinary rows of an INSERT's columns are laid out, compiled once from the ClickHouse types of those
 * columns: {@link #rows} walks a body value by value, without allocating, and says whether it ends exactly after a
 * row. A type whose encoding is not walked here (AggregateFunction, Object, Variant...) cannot be compiled: bodies
 * of such columns are never merged.
 *
 * <p>RowBinary, per value: fixed-size types as their bytes (little-endian); String as a LEB128 length then the
 * bytes; FixedString(N) as N bytes; Nullable(T) as one byte, 1 = NULL and nothing follows, else T; Array(T) as a
 * LEB128 count then the elements; Map(K, V) as Array(Tuple(K, V)); Tuple(...) as its elements in order;
 * LowCardinality(T) as T.
 */
public final class RowBinaryLayout {
    private static final Map<String, Integer> FIXED = Map.ofEntries(
            Map.entry("UInt8", 1), Map.entry("Int8", 1), Map.entry("Bool", 1), Map.entry("Enum8", 1),
            Map.entry("UInt16", 2), Map.entry("Int16", 2), Map.entry("Enum16", 2), Map.entry("Date", 2),
            Map.entry("UInt32", 4), Map.entry("Int32", 4), Map.entry("Float32", 4), Map.entry("DateTime", 4),
            Map.entry("Date32", 4), Map.entry("IPv4", 4), Map.entry("Decimal32", 4),
            Map.entry("UInt64", 8), Map.entry("Int64", 8), Map.entry("Float64", 8), Map.entry("DateTime64", 8),
            Map.entry("Decimal64", 8),
            Map.entry("UInt128", 16), Map.entry("Int128", 16), Map.entry("UUID", 16), Map.entry("IPv6", 16),
            Map.entry("Decimal128", 16),
            Map.entry("UInt256", 32), Map.entry("Int256", 32), Map.entry("Decimal256", 32));

    /** One type: a fixed size, or a string, or a wrapper of others. */
    private record Node(Kind kind, int size, Node[] children) { }

    private enum Kind { FIXED, STRING, NULLABLE, ARRAY, TUPLE }

    private final String[] names;
    private final String[] types;
    private final Node[] columns;

    private RowBinaryLayout(String[] names, String[] types, Node[] columns) {
        this.names = names;
        this.types = types;
        this.columns = columns;
    }

    /**
     * The layout of columns with these names and ClickHouse types (as {@code DESCRIBE TABLE} spells them), or
     * empty when a type is not one this class can walk.
     */
    public static Optional<RowBinaryLayout> of(List<String> names, List<String> types) {
        Node[] nodes = new Node[types.size()];
        for (int i = 0; i < nodes.length; i++) {
            Node n = new TypeParser(types.get(i)).parse();
            if (n == null) {
                return Optional.empty();
            }
            nodes[i] = n;
        }
        return nodes.length == 0 ? Optional.empty()
                : Optional.of(new RowBinaryLayout(names.toArray(String[]::new), types.toArray(String[]::new), nodes));
    }

    /**
     * The number of rows in {@code body}, which must end exactly after its last row.
     *
     * @throws MalformedBody if the body ends inside a row, saying which row, column and type
     */
    public long rows(ByteBuf body) throws MalformedBody {
        int end = body.writerIndex();
        int i = body.readerIndex();
        long rows = 0;
        while (i < end) {
            int rowStart = i;
            for (int c = 0; c < columns.length; c++) {
                int next = skip(columns[c], body, i, end);
                if (next < 0) {
                    throw MalformedBody.at("RowBinary", "the body ends inside row " + (rows + 1) + " (its last "
                            + (end - rowStart) + " bytes do not hold a complete row: column `" + names[c] + "` "
                            + types[c] + " is cut)", body, i);
                }
                i = next;
            }
            rows++;
        }
        return rows;
    }

    /** The index after the value of {@code type} at {@code i}, or -1 if the body ends before it does. */
    private static int skip(Node type, ByteBuf body, int i, int end) {
        switch (type.kind) {
            case FIXED:
                return end - i >= type.size ? i + type.size : -1;
            case STRING: {
                int from = varintEnd(body, i, end);
                if (from < 0) {
                    return -1;
                }
                long len = varint(body, i, from);
                return end - from >= len ? from + (int) len : -1;
            }
            case NULLABLE:
                if (i >= end) {
                    return -1;
                }
                return body.getByte(i) != 0 ? i + 1 : skip(type.children[0], body, i + 1, end);
            case ARRAY: {
                int from = varintEnd(body, i, end);
                if (from < 0) {
                    return -1;
                }
                long n = varint(body, i, from);
                i = from;
                if (n > end - i) {   // every element takes at least one byte: a larger count cannot fit
                    return -1;
                }
                for (long k = 0; k < n && i >= 0; k++) {
                    i = skip(type.children[0], body, i, end);
                }
                return i;
            }
            default: {
                for (int k = 0; k < type.children.length && i >= 0; k++) {
                    i = skip(type.children[k], body, i, end);
                }
                return i;
            }
        }
    }

    /**
     * The index after the LEB128 number at {@code i} (as ClickHouse's readVarUInt: 7 bits a byte, high bit set on
     * all but the last, at most 9 bytes here), or -1 if the body ends first or it is longer.
     */
    private static int varintEnd(ByteBuf body, int i, int end) {
        for (int n = 0; n < 9 && i < end; n++) {
            if (body.getByte(i++) >= 0) {
                return i;
            }
        }
        return -1;
    }

    /** The value of the LEB128 number in {@code [i, after)}. */
    private static long varint(ByteBuf body, int i, int after) {
        long v = 0;
        for (int shift = 0; i < after; shift += 7) {
            v |= (long) (body.getByte(i++) & 0x7f) << shift;
        }
        return v;
    }

    /**
     * Parses a ClickHouse type name: {@code Name} or {@code Name(arg, ...)}, where an argument is a type, a number,
     * a quoted string ({@code DateTime('UTC')}, {@code Enum8('a' = 1)}) or a named tuple element
     * ({@code Tuple(a UInt8)}). Returns null for a type that cannot be walked.
     */
    private static final class TypeParser {
        private final String s;
        private int pos;

        TypeParser(String s) {
            this.s = s;
        }

        Node parse() {
            Node n = type();
            skipSpace();
            return pos == s.length() ? n : null;
        }

        private Node type() {
            String name = word();
            List<String> args = new ArrayList<>();
            List<Node> typeArgs = new ArrayList<>();
            skipSpace();
            if (peek('(')) {
                pos++;
                if (!arguments(args, typeArgs)) {
                    return null;
                }
            }
            Integer size = FIXED.get(name);
            if (size != null) {
                return new Node(Kind.FIXED, size, null);
            }
            return switch (name) {
                case "String" -> args.isEmpty() ? new Node(Kind.STRING, 0, null) : null;
                case "FixedString" -> fixedString(args);
                case "Decimal" -> decimal(args);
                case "Nullable" -> wrap(Kind.NULLABLE, typeArgs, 1);
                case "Array" -> wrap(Kind.ARRAY, typeArgs, 1);
                case "LowCardinality" -> typeArgs.size() == 1 && typeArgs.get(0) != null ? typeArgs.get(0) : null;
                case "Tuple" -> wrap(Kind.TUPLE, typeArgs, typeArgs.size());
                case "Map" -> typeArgs.size() == 2 && wrap(Kind.TUPLE, typeArgs, 2) != null
                        ? new Node(Kind.ARRAY, 0, new Node[] {new Node(Kind.TUPLE, 0, typeArgs.toArray(Node[]::new))})
                        : null;
                default -> null;
            };
        }

        /** Reads {@code arg, arg, ...)}: each argument's text, and its type (null if it is not one). */
        private boolean arguments(List<String> args, List<Node> typeArgs) {
            while (true) {
                skipSpace();
                int start = pos;
                Node n = null;
                if (peek('\'')) {
                    skipQuoted();
                    skipToArgumentEnd();
                } else {
                    int save = pos;
                    n = type();
                    skipSpace();
                    if (!peek(',') && !peek(')')) {
                        pos = save;   // a named tuple element: the name, then its type
                        word();
                        skipSpace();
                        n = type();
                    }
                    skipToArgumentEnd();
                }
                if (pos >= s.length()) {
                    return false;
                }
                args.add(s.substring(start, pos).strip());
                typeArgs.add(n);
                if (s.charAt(pos++) == ')') {
                    return true;
                }
            }
        }

        /** Moves to the ',' or ')' that ends the current argument, past nested parentheses and quotes. */
        private void skipToArgumentEnd() {
            int depth = 0;
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '\'') {
                    skipQuoted();
                    continue;
                }
                if (depth == 0 && (c == ',' || c == ')')) {
                    return;
                }
                if (c == '(') {
                    depth++;
                } else if (c == ')') {
                    depth--;
                }
                pos++;
            }
        }

        private void skipQuoted() {
            pos++;
            while (pos < s.length() && s.charAt(pos) != '\'') {
                pos += s.charAt(pos) == '\\' ? 2 : 1;
            }
            pos++;
        }

        private String word() {
            int start = pos;
            while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) {
                pos++;
            }
            return s.substring(start, pos);
        }

        private void skipSpace() {
            while (pos < s.length() && s.charAt(pos) == ' ') {
                pos++;
            }
        }

        private boolean peek(char c) {
            return pos < s.length() && s.charAt(pos) == c;
        }

        private static Node wrap(Kind kind, List<Node> typeArgs, int arity) {
            if (typeArgs.size() != arity || arity == 0 || typeArgs.contains(null)) {
                return null;
            }
            return new Node(kind, 0, typeArgs.toArray(Node[]::new));
        }

        private static Node fixedString(List<String> args) {
            int n = args.size() == 1 ? number(args.get(0)) : -1;
            return n > 0 ? new Node(Kind.FIXED, n, null) : null;
        }

        /** Decimal(P, S): 4, 8, 16 or 32 bytes by precision. */
        private static Node decimal(List<String> args) {
            int p = args.size() == 2 ? number(args.get(0)) : -1;
            if (p < 1 || p > 76) {
                return null;
            }
            return new Node(Kind.FIXED, p <= 9 ? 4 : p <= 18 ? 8 : p <= 38 ? 16 : 32, null);
        }

        private static int number(String text) {
            try {
                return Integer.parseInt(text);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }
}
