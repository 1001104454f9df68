package io.catflap.protocol;

/** Peer-supplied text made safe to put into an error message or a log line. */
final class Texts {
    private static final int MAX_EXCERPT = 120;

    private Texts() {
    }

    /** At most {@value #MAX_EXCERPT} characters, control and non-ASCII characters escaped as \\uXXXX. */
    static String excerpt(CharSequence s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_EXCERPT) + 8);
        for (int i = 0; i < s.length() && i < MAX_EXCERPT; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7f) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (s.length() > MAX_EXCERPT) {
            b.append("...");
        }
        return b.toString();
    }
}
