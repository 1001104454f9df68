package io.catflap.loadtest;

import java.util.regex.Pattern;

/** Shortens error texts so that the same failure groups under one message in the report. */
final class ErrorText {
    private static final int MAX = 160;
    /** Numbers that vary between occurrences of one error (part counts, positions); error codes are kept. */
    private static final Pattern VARYING_NUMBER = Pattern.compile("(?<!Code: )(?<![\\d.])\\d+(?![\\d.])");

    private ErrorText() {}

    /** The first line with varying numbers replaced by N, cut to a readable length. */
    static String firstLine(String message) {
        String s = message.strip();
        int nl = s.indexOf('\n');
        if (nl >= 0) {
            s = s.substring(0, nl);
        }
        s = VARYING_NUMBER.matcher(s).replaceAll("N");
        return s.length() > MAX ? s.substring(0, MAX) + "..." : s;
    }
}
