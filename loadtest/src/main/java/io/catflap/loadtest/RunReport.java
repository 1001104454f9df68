package io.catflap.loadtest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The end-of-run summary: a text table for people and the same figures as JSON for scripts. */
final class RunReport {
    private final Map<String, Object> run;
    private final double seconds;
    private final Stats stats;
    private final ProcSampler target;
    private final ProcSampler harness;
    private final MachineCpu machine;
    private final List<Verifier.TableCount> verification;
    private final FakeClickHouse fake;
    private final List<RunReport> destinations;
    private final ClickHouseCost clickHouse;

    /**
     * @param run what was run (target, preset, options), shown as given
     * @param target the sampled target process, or null
     * @param harness this process, sampled the same way (it shares the machine with the target), or null
     * @param machine the whole machine's CPU over the run, or null
     * @param verification per-table counts, or null when not verified
     * @param fake the built-in upstream, or null
     * @param clickHouse what the run cost ClickHouse, or null when not counted
     */
    RunReport(Map<String, Object> run, double seconds, Stats stats, ProcSampler target, ProcSampler harness,
            MachineCpu machine, List<Verifier.TableCount> verification, FakeClickHouse fake,
            ClickHouseCost clickHouse) {
        this(run, seconds, stats, target, harness, machine, verification, fake, List.of(), clickHouse);
    }

    /**
     * @param target with several destinations, null: each destination's process is sampled on its own
     * @param destinations with several destinations, each one's share of the run ({@link #destination}); else empty
     */
    RunReport(Map<String, Object> run, double seconds, Stats stats, ProcSampler target, ProcSampler harness,
            MachineCpu machine, List<Verifier.TableCount> verification, FakeClickHouse fake,
            List<RunReport> destinations, ClickHouseCost clickHouse) {
        this.run = run;
        this.seconds = seconds;
        this.stats = stats;
        this.target = target;
        this.harness = harness;
        this.machine = machine;
        this.verification = verification;
        this.fake = fake;
        this.destinations = destinations;
        this.clickHouse = clickHouse;
    }

    /** One destination's share of a run: its own counters and sampled process, the run's duration. */
    static RunReport destination(Target destination, double seconds, Stats stats, ProcSampler process) {
        return new RunReport(Map.of("target", destination.toString()), seconds, stats, process, null, null, null, null,
                null);
    }

    String target() {
        return String.valueOf(run.get("target"));
    }

    double requestsPerSecond() {
        return stats.requests() / seconds;
    }

    double rowsPerSecond() {
        return stats.rowsAcked() / seconds;
    }

    /** The insert latency at quantile {@code q} (0..1) in milliseconds. */
    double insertLatencyMillis(double q) {
        return stats.insertLatency.percentile(q) / 1000.0;
    }

    /** The target's CPU time per answered request; null when the target was not sampled or nothing was answered. */
    Double cpuMicrosPerRequest() {
        return target == null || stats.requests() == 0 ? null : 1e6 * target.cpuSeconds() / stats.requests();
    }

    /** The kernel's part of {@link #cpuMicrosPerRequest()}: a floor that the target's own code cannot lower. */
    Double kernelCpuMicrosPerRequest() {
        return target == null || stats.requests() == 0 ? null : 1e6 * target.kernelCpuSeconds() / stats.requests();
    }

    /** The target's peak RSS; null when it was not sampled. */
    Double peakRssMib() {
        return target == null ? null : target.peakRssKib() / 1024.0;
    }

    /**
     * INSERT queries ClickHouse executed per second and per table of the run: what batching saved it (every request
     * sent straight to ClickHouse is one); null when not counted.
     */
    Double clickHouseInsertsPerTableSecond() {
        return clickHouse == null || verification == null || verification.isEmpty() ? null
                : clickHouse.inserts() / seconds / verification.size();
    }

    /** ClickHouse's CPU time per INSERT query it executed; null when not sampled or it executed none. */
    Double clickHouseCpuMillisPerInsert() {
        return clickHouse == null ? null : clickHouse.cpuMillisPerInsert();
    }

    /** ClickHouse's CPU time in percent of one core over the run; null when its process was not sampled. */
    Double clickHouseCpuPercent() {
        return clickHouse == null || clickHouse.server() == null ? null
                : 100 * clickHouse.server().cpuSeconds() / seconds;
    }

    boolean verified() {
        return verification != null;
    }

    long lostRows() {
        return verification == null ? 0 : verification.stream().mapToLong(Verifier.TableCount::lost).sum();
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run", run);
        m.put("seconds", seconds);
        long inserts = stats.insertLatency.count();
        long selects = stats.selectLatency.count();
        m.put("requests_ok", stats.requests());
        m.put("inserts_acked", inserts);
        m.put("selects_answered", selects);
        m.put("errors", stats.errors());
        m.put("requests_per_second", requestsPerSecond());
        m.put("rows_acked", stats.rowsAcked());
        m.put("rows_per_second", rowsPerSecond());
        m.put("row_bytes", stats.rowBytes.sum());
        m.put("reconnects", stats.reconnects.sum());
        m.put("insert_latency_ms", latency(stats.insertLatency));
        if (selects > 0) {
            m.put("select_latency_ms", latency(stats.selectLatency));
        }
        m.put("errors_by_message", stats.errorsByMessage());
        if ((long) run.getOrDefault("idle_connections", 0) > 0) {
            m.put("idle_connected", stats.idleConnected.sum());
            m.put("idle_closed_by_target", stats.idleClosed.sum());
        }
        if (target != null) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("pid", target.pid());
            t.put("cpu_seconds", target.cpuSeconds());
            t.put("cpu_percent_of_one_core", 100 * target.cpuSeconds() / seconds);
            t.put("cpu_microseconds_per_request", cpuMicrosPerRequest());
            t.put("kernel_cpu_seconds", target.kernelCpuSeconds());
            t.put("kernel_cpu_microseconds_per_request", kernelCpuMicrosPerRequest());
            t.put("peak_rss_mib", peakRssMib());
            t.put("final_rss_mib", target.rssKib() / 1024.0);
            m.put("target", t);
        }
        if (!destinations.isEmpty()) {
            m.put("destinations", destinations.stream().map(RunReport::destinationJson).toList());
        }
        if (harness != null) {
            m.put("harness_cpu_seconds", harness.cpuSeconds());
        }
        if (machine != null) {
            m.put("machine_cpu_busy_cores", machine.busyCores());
            m.put("machine_cpu_cores", (long) machine.cores());
        }
        if (fake != null) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("url", fake.url());
            f.put("inserts", fake.inserts());
            f.put("ingested_bytes", fake.insertedBytes());
            f.put("peak_concurrent_inserts", fake.peakInsertsInFlight());
            m.put("fake_upstream", f);
        }
        if (clickHouse != null) {
            m.put("clickhouse_inserts", clickHouse.inserts());
            m.put("clickhouse_inserts_per_table_per_second", clickHouseInsertsPerTableSecond());
            if (clickHouse.server() != null) {
                m.put("clickhouse_cpu_seconds", clickHouse.server().cpuSeconds());
                m.put("clickhouse_cpu_per_insert_ms", clickHouseCpuMillisPerInsert());
            }
        }
        if (verification != null) {
            List<Object> tables = new ArrayList<>();
            for (Verifier.TableCount c : verification) {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("table", c.table());
                t.put("acked", c.acked());
                t.put("unacked", c.unacked());
                t.put("landed", c.landed());
                t.put("unique", c.unique());
                t.put("unacked_landed", c.unackedLanded() < 0 ? null : c.unackedLanded());
                t.put("lost", c.lost());
                t.put("duplicated", c.duplicated());
                tables.add(t);
            }
            m.put("verification", tables);
            m.put("lost_rows", lostRows());
        }
        return m;
    }

    private Map<String, Object> destinationJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("target", target());
        m.put("requests_ok", stats.requests());
        m.put("requests_per_second", requestsPerSecond());
        m.put("rows_acked", stats.rowsAcked());
        m.put("rows_per_second", rowsPerSecond());
        m.put("errors", stats.errors());
        m.put("insert_latency_ms", latency(stats.insertLatency));
        m.put("pid", target == null ? null : target.pid());
        m.put("cpu_microseconds_per_request", cpuMicrosPerRequest());
        m.put("peak_rss_mib", peakRssMib());
        return m;
    }

    private static Map<String, Object> latency(LatencyHistogram h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("p50", h.percentile(0.50) / 1000.0);
        m.put("p90", h.percentile(0.90) / 1000.0);
        m.put("p99", h.percentile(0.99) / 1000.0);
        m.put("max", h.max() / 1000.0);
        return m;
    }

    String text() {
        StringBuilder b = new StringBuilder();
        line(b, "target", run.get("target") + (run.get("preset") != null ? "  (preset " + run.get("preset") + ")" : ""));
        line(b, "run tag", run.get("tag"));
        line(b, "connections", run.get("connections") + " active, " + run.get("idle_connections") + " idle"
                + ((long) run.get("idle_connections") > 0
                        ? " (" + stats.idleConnected.sum() + " opened, " + stats.idleClosed.sum() + " closed by target)" : ""));
        line(b, "duration", fmt("%.1f s", seconds));
        line(b, "requests", fmt("%,d answered ok (%,.0f/s), %,d errors, %,d reconnects", stats.requests(),
                requestsPerSecond(), stats.errors(), stats.reconnects.sum()));
        line(b, "rows acked", fmt("%,d (%,.0f/s), %.1f MiB of rows sent", stats.rowsAcked(), rowsPerSecond(),
                stats.rowBytes.sum() / 1048576.0));
        line(b, "insert latency", latencyText(stats.insertLatency));
        if (stats.selectLatency.count() > 0) {
            line(b, "select latency", latencyText(stats.selectLatency));
        }
        if (target != null) {
            line(b, "target cpu", fmt("%.2f s (%.0f%% of a core), %s per request, %s of it in the kernel",
                    target.cpuSeconds(), 100 * target.cpuSeconds() / seconds,
                    cpuMicrosPerRequest() == null ? "-" : fmt("%.1f us", cpuMicrosPerRequest()),
                    kernelCpuMicrosPerRequest() == null ? "-" : fmt("%.1f us", kernelCpuMicrosPerRequest())));
            line(b, "target rss", fmt("peak %.1f MiB, final %.1f MiB (pid %d)", peakRssMib(),
                    target.rssKib() / 1024.0, target.pid()));
        }
        if (harness != null) {
            line(b, "harness cpu", fmt("%.2f s (%.0f%% of a core)", harness.cpuSeconds(), 100 * harness.cpuSeconds() / seconds));
        }
        if (machine != null) {
            line(b, "machine cpu", fmt("%.2f of %d cores busy", machine.busyCores(), machine.cores()));
        }
        if (fake != null) {
            line(b, "fake upstream", fmt("%s: %,d inserts, %.1f MiB ingested, peak %d concurrent inserts", fake.url(),
                    fake.inserts(), fake.insertedBytes() / 1048576.0, fake.peakInsertsInFlight()));
        }
        if (clickHouse != null) {
            line(b, "clickhouse", fmt("%,d INSERT queries (%.1f/s per table)", clickHouse.inserts(),
                    clickHouseInsertsPerTableSecond()));
            if (clickHouse.server() != null) {
                Double perInsert = clickHouseCpuMillisPerInsert();
                line(b, "clickhouse cpu", fmt("%.2f s (%.0f%% of a core), %s per insert",
                        clickHouse.server().cpuSeconds(), clickHouseCpuPercent(),
                        perInsert == null ? "-" : fmt("%.1f ms", perInsert)));
            }
        }
        stats.errorsByMessage().forEach((message, n) -> line(b, "error", fmt("%,d x %s", n, message)));
        if (!destinations.isEmpty()) {
            b.append(fmt("%n%-36s %12s %12s %8s %9s %9s %10s %11s %9s%n", "destination", "requests/s", "rows/s",
                    "errors", "p50 ms", "p99 ms", "cpu us/req", "kernel us/r", "rss MiB"));
            for (RunReport d : destinations) {
                b.append(fmt("%-36s %,12.0f %,12.0f %,8d %9.2f %9.2f %10s %11s %9s%n", d.target(),
                        d.requestsPerSecond(), d.rowsPerSecond(), d.stats.errors(), d.insertLatencyMillis(0.5),
                        d.insertLatencyMillis(0.99),
                        d.cpuMicrosPerRequest() == null ? "-" : fmt("%.1f", d.cpuMicrosPerRequest()),
                        d.kernelCpuMicrosPerRequest() == null ? "-" : fmt("%.1f", d.kernelCpuMicrosPerRequest()),
                        d.peakRssMib() == null ? "-" : fmt("%.1f", d.peakRssMib())));
            }
        }
        if (verification != null) {
            b.append(fmt("%n%-36s %11s %11s %11s %11s %15s %10s %10s%n", "table", "acked", "unacked", "landed",
                    "unique", "unacked landed", "lost", "duplicated"));
            for (Verifier.TableCount c : verification) {
                b.append(fmt("%-36s %,11d %,11d %,11d %,11d %15s %,10d %,10d%n", c.table(), c.acked(), c.unacked(),
                        c.landed(), c.unique(), c.unackedLanded() < 0 ? "?" : fmt("%,d", c.unackedLanded()),
                        c.lost(), c.duplicated()));
            }
            b.append(lostRows() == 0 ? "verification: every acked row landed\n"
                    : fmt("verification FAILED: %,d acked rows are missing from ClickHouse%n", lostRows()));
            if (verification.stream().anyMatch(c -> c.unackedLanded() < 0)) {
                b.append("(too many failed requests to track: lost is a lower bound)\n");
            }
        } else {
            b.append("verification: not run (no --clickhouse)\n");
        }
        return b.toString();
    }

    private static String latencyText(LatencyHistogram h) {
        return fmt("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms", h.percentile(0.5) / 1000.0,
                h.percentile(0.9) / 1000.0, h.percentile(0.99) / 1000.0, h.max() / 1000.0);
    }

    private static void line(StringBuilder b, String name, Object value) {
        b.append(fmt("%-16s %s%n", name, value));
    }

    static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
