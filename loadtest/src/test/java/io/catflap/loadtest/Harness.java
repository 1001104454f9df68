package io.catflap.loadtest;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs the harness in this JVM, verifying against a ClickHouse, with its report in a JSON file and its output kept. */
final class Harness {
    private final URI clickhouse;
    private final Path json;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();

    Harness(URI clickhouse, Path json) {
        this.clickhouse = clickhouse;
        this.json = json;
    }

    /**
     * The exit code of {@code catflap-loadtest args --clickhouse URL --json FILE}. A run is bounded by its request
     * count, not by the default 15 s, which a loaded machine may not be able to keep.
     */
    int run(String... args) {
        List<String> all = new ArrayList<>(List.of("--duration", "10m"));
        all.addAll(List.of(args));
        all.addAll(List.of("--clickhouse", clickhouse.toString(), "--json", json.toString()));
        return LoadtestMain.run(new PrintStream(stdout, true, StandardCharsets.UTF_8), System.err,
                all.toArray(String[]::new));
    }

    /** The report of the last run. */
    JsonReport report() throws Exception {
        return new JsonReport(json);
    }

    /** Everything the runs printed. */
    String output() {
        return stdout.toString(StandardCharsets.UTF_8);
    }
}
