package io.catflap.client.buffer;

/** Counts the rows of a VALUES body for the meters, without parsing values: top-level tuples outside quotes. */
public final class ValuesRows {
    private ValuesRows() {
    }

    /** Number of top-level {@code (...)} tuples; quotes ({@code '} and {@code `}) and backslash escapes are honoured. */
    public static int count(byte[] body) {
        int rows = 0;
        int depth = 0;
        byte quote = 0;
        for (int i = 0; i < body.length; i++) {
            byte c = body[i];
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '`') {
                quote = c;
            } else if (c == '(') {
                if (depth++ == 0) {
                    rows++;
                }
            } else if (c == ')' && depth > 0) {
                depth--;
            }
        }
        return rows;
    }
}
