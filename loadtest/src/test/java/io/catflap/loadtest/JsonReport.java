package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads whole-number fields of a harness JSON report. */
final class JsonReport {
    private final String json;

    JsonReport(Path file) throws IOException {
        this(Files.readString(file));
    }

    private JsonReport(String json) {
        this.json = json;
    }

    /** The report from the first field named {@code key} on: to read the fields that come after it. */
    JsonReport from(String key) {
        int at = json.indexOf("\"" + key + "\"");
        assertTrue(at >= 0, key + " missing in " + json);
        return new JsonReport(json.substring(at));
    }

    /** Every field named {@code key} with a whole-number value, in order. */
    List<Long> numbers(String key) {
        return Pattern.compile("\"" + key + "\": (\\d+)(?![\\d.])").matcher(json).results()
                .map(r -> Long.parseLong(r.group(1))).toList();
    }

    /** The first field named {@code key} with a whole-number value. */
    long number(String key) {
        Matcher m = Pattern.compile("\"" + key + "\": (\\d+)").matcher(json);
        assertTrue(m.find(), key + " missing in " + json);
        return Long.parseLong(m.group(1));
    }

    /** The first field named {@code key} with a numeric value. */
    double decimal(String key) {
        Matcher m = Pattern.compile("\"" + key + "\": (-?[0-9.]+(?:[eE][-+]?[0-9]+)?)").matcher(json);
        assertTrue(m.find(), key + " missing in " + json);
        return Double.parseDouble(m.group(1));
    }

    boolean has(String key) {
        return json.contains("\"" + key + "\"");
    }

    @Override
    public String toString() {
        return json;
    }
}
