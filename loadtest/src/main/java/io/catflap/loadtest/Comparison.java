package io.catflap.loadtest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Targets that took the same load one after the other ({@code --compare}), side by side: each figure per target and
 * its ratio, the first target (A) over each other one. With {@code --hostile} the figures are those of the clean
 * runs, plus the rate under attack.
 */
final class Comparison {
    /** One row of the table; {@code ratio} false where a quotient means nothing (lost rows). */
    private record Figure(String label, String key, String format, boolean ratio,
            Function<TargetOutcome, Number> value) {}

    private static final List<Figure> FIGURES = List.of(
            new Figure("requests/s", "requests_per_second", "%,.0f", true, o -> o.run().requestsPerSecond()),
            new Figure("rows/s", "rows_per_second", "%,.0f", true, o -> o.run().rowsPerSecond()),
            new Figure("insert p50 ms", "insert_latency_p50_ms", "%,.2f", true, o -> o.run().insertLatencyMillis(0.50)),
            new Figure("insert p99 ms", "insert_latency_p99_ms", "%,.2f", true, o -> o.run().insertLatencyMillis(0.99)),
            new Figure("cpu us/request", "cpu_microseconds_per_request", "%,.1f", true, o -> o.run().cpuMicrosPerRequest()),
            new Figure("kernel us/request", "kernel_cpu_microseconds_per_request", "%,.1f", true,
                    o -> o.run().kernelCpuMicrosPerRequest()),
            new Figure("peak rss MiB", "peak_rss_mib", "%,.1f", true, o -> o.run().peakRssMib()),
            new Figure("CH inserts/s/table", "clickhouse_inserts_per_table_per_second", "%,.1f", true,
                    o -> o.run().clickHouseInsertsPerTableSecond()),
            new Figure("CH CPU ms/insert", "clickhouse_cpu_per_insert_ms", "%,.1f", true,
                    o -> o.run().clickHouseCpuMillisPerInsert()),
            new Figure("CH CPU % of core", "clickhouse_cpu_percent_of_one_core", "%,.0f", true,
                    o -> o.run().clickHouseCpuPercent()),
            new Figure("attacked req/s", "requests_per_second_under_attack", "%,.0f", true,
                    o -> o.underAttack() == null ? null : o.underAttack().requestsPerSecond()),
            new Figure("attacked / clean", "good_rate_under_attack_vs_clean", "%.2f", true,
                    TargetOutcome::goodRateUnderAttack),
            new Figure("lost rows", "lost_rows", "%,d", false, o -> o.run().verified() ? o.lostRows() : null));

    private final List<TargetOutcome> outcomes;

    /** @param outcomes the first target's, then each compared target's */
    Comparison(List<TargetOutcome> outcomes) {
        this.outcomes = outcomes;
    }

    /** A for the first target, B for the first compared one, and so on. */
    static String letter(int index) {
        return String.valueOf((char) ('A' + index));
    }

    /** The figures shown: those that at least one target has (no CPU without sampling, no attack without one). */
    private List<Figure> figures() {
        return FIGURES.stream().filter(f -> outcomes.stream().map(f.value()).anyMatch(Objects::nonNull)).toList();
    }

    /** Figure {@code f} of A over that of target {@code other}; null when either is missing or the divisor is 0. */
    private Double ratio(Figure f, int other) {
        Number a = f.value().apply(outcomes.get(0));
        Number b = f.value().apply(outcomes.get(other));
        return a == null || b == null || b.doubleValue() == 0 ? null : a.doubleValue() / b.doubleValue();
    }

    String text() {
        StringBuilder b = new StringBuilder("== side by side");
        b.append(outcomes.get(0).underAttack() != null ? " (the clean runs, then under attack) ==\n" : " ==\n");
        for (int i = 0; i < outcomes.size(); i++) {
            b.append(RunReport.fmt("%-3s%s%n", letter(i), outcomes.get(i).run().target()));
        }
        b.append(RunReport.fmt("%n%-18s", ""));
        for (int i = 0; i < outcomes.size(); i++) {
            b.append(RunReport.fmt("%14s", letter(i)));
        }
        for (int i = 1; i < outcomes.size(); i++) {
            b.append(RunReport.fmt("%10s", "A / " + letter(i)));
        }
        b.append('\n');
        for (Figure f : figures()) {
            b.append(RunReport.fmt("%-18s", f.label()));
            for (TargetOutcome o : outcomes) {
                Number v = f.value().apply(o);
                b.append(RunReport.fmt("%14s", v == null ? "-" : RunReport.fmt(f.format(), v)));
            }
            for (int i = 1; f.ratio() && i < outcomes.size(); i++) {
                Double r = ratio(f, i);
                b.append(RunReport.fmt("%10s", r == null ? "-" : RunReport.fmt("%.2f", r)));
            }
            b.append('\n');
        }
        return b.append("(ratios above 1: A has more; for latency, CPU and memory less is better)\n").toString();
    }

    /**
     * Every target's own report under {@code runs}, and under {@code comparison} each figure as a list (one value per
     * target, in order) and per compared target the ratios A / it.
     */
    Map<String, Object> toJson() {
        Map<String, Object> figures = new LinkedHashMap<>();
        List<Map<String, Object>> ratios = new ArrayList<>();
        for (int i = 1; i < outcomes.size(); i++) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("target", outcomes.get(0).run().target());
            r.put("compared_with", outcomes.get(i).run().target());
            ratios.add(r);
        }
        for (Figure f : figures()) {
            figures.put(f.key(), outcomes.stream().map(f.value()).toList());
            for (int i = 1; f.ratio() && i < outcomes.size(); i++) {
                ratios.get(i - 1).put(f.key(), ratio(f, i));
            }
        }
        Map<String, Object> comparison = new LinkedHashMap<>();
        comparison.put("targets", outcomes.stream().map(o -> o.run().target()).toList());
        comparison.put("figures", figures);
        comparison.put("ratios", ratios);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("runs", outcomes.stream().map(TargetOutcome::toJson).toList());
        m.put("comparison", comparison);
        return m;
    }
}
