package io.catflap.aggregator.admin;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * ClickHouse's error text as {@code /status} shows it: what went wrong, never the rows or the user names it quotes.
 * The sender whose insert failed gets ClickHouse's whole text (about its own rows); the admin port is read by
 * whoever monitors the aggregator.
 */
public final class ErrorSummary {
    /** Authentication and access errors: their texts name users and databases; the code says enough. */
    private static final Set<Integer> ACCESS = Set.of(192, 193, 194, 195, 291, 497, 516);
    /**
     * Where ClickHouse starts quoting data: the bytes the parser stopped at ({@code before:}, {@code here:}), and
     * the row dump that follows {@code (at row N)} (18.16: {@code ... before: 1\tsecret\n: (at row 2)} and then
     * {@code Row 2:} lines).
     */
    private static final List<String> DATA = List.of(" before: ", " here: ", ": (at row ", " (at row ", " at row ",
            ": (while read");
    /** Quoted values left in the text, e.g. {@code Cannot parse string 'abc' as UInt32}. */
    private static final Pattern QUOTED = Pattern.compile("'(?:[^'\\\\]|\\\\.)*'");
    static final int MAX_CHARS = 200;

    private ErrorSummary() {
    }

    /** The summary of a failed insert's {@code message}; {@code code} is ClickHouse's error code, or -1. */
    public static String of(int code, String message) {
        if (ACCESS.contains(code)) {
            return "Code: " + code + ". Authentication or access refused (the sender got ClickHouse's text)";
        }
        String text = message.lines().findFirst().orElse("").replace("e.displayText() = ", "");
        int what = text.indexOf(", e.what() = ");   // 18.x's trailer
        int end = what < 0 ? text.length() : what;
        for (String marker : DATA) {
            int at = text.indexOf(marker);
            if (at >= 0 && at < end) {
                end = at;
            }
        }
        text = QUOTED.matcher(text.substring(0, end)).replaceAll("'…'").strip();
        return text.length() <= MAX_CHARS ? text : text.substring(0, MAX_CHARS) + "…";
    }
}
