package io.catflap.aggregator.batch;

import io.netty.buffer.ByteBuf;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The data format of an INSERT and how bodies in it are concatenated into one batch.
 *
 * @param name the ClickHouse format name sent upstream ({@code FORMAT name})
 * @param join how two bodies are joined, or {@link Join#NONE} when bodies of this format cannot be merged
 */
public record InsertFormat(String name, Join join) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");

    /** How bodies are concatenated. */
    public enum Join {
        /** VALUES tuples: a comma between bodies. */
        COMMA,
        /** One row per line (TSV, CSV, JSONEachRow): every body ends with a line feed. */
        LINE,
        /** Self-delimiting binary rows (RowBinary) or blocks (Native): plain concatenation. */
        CONCAT,
        /** Not mergeable (header rows, container formats): every body is inserted on its own. */
        NONE
    }

    public static final InsertFormat VALUES = new InsertFormat("Values", Join.COMMA);
    public static final InsertFormat ROW_BINARY = new InsertFormat("RowBinary", Join.CONCAT);

    private static final Map<String, InsertFormat> MERGEABLE = Map.of(
            "Values", VALUES,
            "TabSeparated", new InsertFormat("TabSeparated", Join.LINE),
            "TSV", new InsertFormat("TabSeparated", Join.LINE),
            "CSV", new InsertFormat("CSV", Join.LINE),
            "JSONEachRow", new InsertFormat("JSONEachRow", Join.LINE),
            "RowBinary", ROW_BINARY,
            "Native", new InsertFormat("Native", Join.CONCAT));

    /**
     * The format named in an INSERT; names are case-sensitive as in ClickHouse. Unknown names are kept (ClickHouse
     * judges them) but never merged.
     *
     * @throws IllegalArgumentException if the name is not a plain identifier
     */
    public static InsertFormat named(String name) {
        InsertFormat known = MERGEABLE.get(name);
        if (known != null) {
            return known;
        }
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid format name: " + name);
        }
        return new InsertFormat(name, Join.NONE);
    }

    public boolean mergeable() {
        return join != Join.NONE;
    }

    /**
     * An upper bound of the rows in {@code body}, used to keep a batch under ClickHouse's max_insert_block_size
     * (only then is an insert all-or-nothing): VALUES counts opening parentheses, line formats count line feeds,
     * binary formats count bytes (every row takes at least one).
     */
    public long rowsUpperBound(ByteBuf body) {
        int n = body.readableBytes();
        return switch (join) {
            case COMMA -> count(body, (byte) '(');
            case LINE -> count(body, (byte) '\n') + (n > 0 && body.getByte(body.writerIndex() - 1) != '\n' ? 1 : 0);
            case CONCAT, NONE -> n;
        };
    }

    private static long count(ByteBuf body, byte b) {
        long[] n = {0};
        body.forEachByte(x -> {
            if (x == b) {
                n[0]++;
            }
            return true;
        });
        return n[0];
    }
}
