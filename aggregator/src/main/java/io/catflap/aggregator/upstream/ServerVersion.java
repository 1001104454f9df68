package io.catflap.aggregator.upstream;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The upstream ClickHouse version, as {@code SELECT version()} answers it, and the settings it knows. Old servers
 * reject a whole request that names an unknown setting (18.16: {@code Code: 115 Unknown setting async_insert}).
 */
public record ServerVersion(int major, int minor) {
    private static final Pattern VERSION = Pattern.compile("^(\\d+)\\.(\\d+)");

    /** Parses {@code 18.16.1} or {@code 24.3.1.2672}. */
    public static ServerVersion parse(String text) {
        Matcher m = VERSION.matcher(text.strip());
        if (!m.find()) {
            throw new IllegalArgumentException("not a ClickHouse version: " + text);
        }
        return new ServerVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    public boolean atLeast(int maj, int min) {
        return major > maj || (major == maj && minor >= min);
    }

    /**
     * input_format_values_deduce_templates_of_expressions appeared in 19.16 (on by default): it evaluates a VALUES
     * field the fast parser cannot read as an expression even with interpret_expressions off.
     */
    public boolean hasValuesTemplates() {
        return atLeast(19, 16);
    }

    /** async_insert appeared in 21.11. */
    public boolean hasAsyncInsert() {
        return atLeast(21, 11);
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
