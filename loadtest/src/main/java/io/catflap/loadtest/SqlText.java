package io.catflap.loadtest;

import java.util.Locale;

/** Escaping for text that ends up inside ClickHouse SQL, VALUES rows and JSON strings. */
final class SqlText {
    private SqlText() {}

    /** A single-quoted ClickHouse string literal: backslash and quote escaped, control bytes as \xNN. */
    static String quote(String s) {
        return escaped(s, '\'', "\\x%02X");
    }

    /** A double-quoted JSON string. */
    static String jsonString(String s) {
        return escaped(s, '"', "\\u%04x");
    }

    private static String escaped(String s, char quote, String controlFormat) {
        StringBuilder b = new StringBuilder(s.length() + 2).append(quote);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == quote || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format(Locale.ROOT, controlFormat, (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append(quote).toString();
    }
}
