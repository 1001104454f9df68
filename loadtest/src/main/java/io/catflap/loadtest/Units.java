package io.catflap.loadtest;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Command-line values with units: durations ({@code 500ms}, {@code 15s}, {@code 2m}) and sizes ({@code 4MiB}). */
final class Units {
    private static final Pattern NUMBER_UNIT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-zA-Z]*)");

    private Units() {}

    static long millis(String text) {
        Matcher m = match(text);
        double n = Double.parseDouble(m.group(1));
        return Math.round(n * switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "ms" -> 1;
            case "", "s" -> 1000;
            case "m", "min" -> 60_000;
            case "h" -> 3_600_000;
            default -> throw new IllegalArgumentException("unknown time unit in '" + text + "' (ms, s, m, h)");
        });
    }

    static long bytes(String text) {
        Matcher m = match(text);
        double n = Double.parseDouble(m.group(1));
        return Math.round(n * switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "", "b" -> 1L;
            case "k", "kb", "kib" -> 1L << 10;
            case "m", "mb", "mib" -> 1L << 20;
            case "g", "gb", "gib" -> 1L << 30;
            default -> throw new IllegalArgumentException("unknown size unit in '" + text + "' (B, KiB, MiB, GiB)");
        });
    }

    private static Matcher match(String text) {
        Matcher m = NUMBER_UNIT.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a number with an optional unit: '" + text + "'");
        }
        return m;
    }

    static final class Millis implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return millis(value);
        }
    }

    static final class Bytes implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return bytes(value);
        }
    }
}
