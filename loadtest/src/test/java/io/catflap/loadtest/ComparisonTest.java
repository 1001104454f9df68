package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The side-by-side figures and ratios from known runs: A twice as fast as B, only A's process and A's ClickHouse
 * sampled.
 */
class ComparisonTest {
    @TempDir
    Path proc;

    @Test
    void figuresSideBySideWithRatiosOfTheFirstTargetOverEachOther() throws Exception {
        TargetOutcome a = TargetOutcome.of(report("kitten://127.0.0.1:1", 100, sampledProcess(),
                new ClickHouseCost(40, sampledProcess())));
        TargetOutcome b = TargetOutcome.of(report("kitten://127.0.0.1:2", 50, null, new ClickHouseCost(400, null)));
        Comparison comparison = new Comparison(List.of(a, b));

        String text = comparison.text();
        assertTrue(text.contains("A  kitten://127.0.0.1:1\nB  kitten://127.0.0.1:2\n"), text);
        assertTrue(row("requests/s", "10", "5", "2.00").matcher(text).find(), text);
        assertTrue(row("rows/s", "20", "10", "2.00").matcher(text).find(), text);
        assertTrue(row("cpu us/request", "10,000.0", "-", "-").matcher(text).find(), "B was not sampled: " + text);
        assertTrue(row("kernel us/request", "2,500.0", "-", "-").matcher(text).find(), "a quarter in stime: " + text);
        assertTrue(row("CH inserts/s/table", "4.0", "40.0", "0.10").matcher(text).find(),
                "ClickHouse's inserts over 10 s and 1 table: " + text);
        assertTrue(row("CH CPU ms/insert", "25.0", "-", "-").matcher(text).find(), "1 s of CPU for 40 inserts: " + text);
        assertTrue(row("CH CPU % of core", "10", "-", "-").matcher(text).find(), "1 s of CPU in 10 s: " + text);
        assertTrue(row("lost rows", "0", "0", "").matcher(text).find(), "no ratio of lost rows: " + text);
        assertFalse(text.contains("attacked"), "no --hostile, no rows for it: " + text);

        Map<String, Object> json = comparison.toJson();
        assertEquals(2, ((List<?>) json.get("runs")).size());
        Map<?, ?> ratios = (Map<?, ?>) ((List<?>) ((Map<?, ?>) json.get("comparison")).get("ratios")).get(0);
        assertEquals("kitten://127.0.0.1:2", ratios.get("compared_with"));
        assertEquals(2.0, (Double) ratios.get("requests_per_second"), 1e-9);
        assertTrue(ratios.containsKey("cpu_microseconds_per_request"));
        assertNull(ratios.get("cpu_microseconds_per_request"));
        assertFalse(ratios.containsKey("lost_rows"));
    }

    @Test
    void clickHouseCpuPerInsertAndTheMachinesBusyCoresInTheReport() throws Exception {
        Path stat = proc.resolve("stat");
        Files.writeString(stat, "cpu  100 0 0 100 0\ncpu0 50 0 0 50 0\ncpu1 50 0 0 50 0\n");
        MachineCpu machine = MachineCpu.start(stat);
        Files.writeString(stat, "cpu  1800 0 100 300 0\ncpu0 900 0 50 150 0\ncpu1 900 0 50 150 0\n");
        machine.sample();
        RunReport run = new RunReport(Map.of("target", "kitten://127.0.0.1:1", "idle_connections", 0L), 10,
                new Stats(1), null, null, machine, List.of(), null, new ClickHouseCost(40, sampledProcess()));

        String text = run.text();
        assertTrue(text.contains("\nclickhouse cpu   1.00 s (10% of a core), 25.0 ms per insert\n"), text);
        assertTrue(text.contains("\nmachine cpu      1.80 of 2 cores busy\n"), text);
        Map<String, Object> json = run.toJson();
        assertEquals(1.0, (Double) json.get("clickhouse_cpu_seconds"), 1e-9);
        assertEquals(25.0, (Double) json.get("clickhouse_cpu_per_insert_ms"), 1e-9);
        assertEquals(1.8, (Double) json.get("machine_cpu_busy_cores"), 1e-9);
    }

    @Test
    void noClickHouseCpuWhereItsProcessWasNotFound() {
        RunReport run = new RunReport(Map.of("target", "kitten://127.0.0.1:1", "idle_connections", 0L), 10,
                new Stats(1), null, null, null, List.of(), null, new ClickHouseCost(40, null));
        assertFalse(run.text().contains("clickhouse cpu"), run.text());
        assertFalse(run.text().contains("machine cpu"), run.text());
        assertFalse(run.toJson().containsKey("clickhouse_cpu_seconds"));
        assertFalse(run.toJson().containsKey("machine_cpu_busy_cores"));
    }

    /** A verified 10-second run of {@code requests} two-row inserts into one table, none lost. */
    private static RunReport report(String target, int requests, ProcSampler sampled, ClickHouseCost clickHouse) {
        Stats stats = new Stats(1);
        for (int i = 0; i < requests; i++) {
            stats.insertAcked(0, 2, 1000);
        }
        List<Verifier.TableCount> verified = List.of(new Verifier.TableCount("t", 2L * requests, 0, 2L * requests,
                2L * requests, 0));
        return new RunReport(Map.of("target", target, "idle_connections", 0L), 10, stats, sampled, null, null, verified,
                null, clickHouse);
    }

    /** A process in a scratch /proc that used 1 s of CPU (100 ticks) and holds 100 MiB; one sampler at a time. */
    private ProcSampler sampledProcess() throws Exception {
        Files.createDirectories(proc.resolve("7"));
        Files.writeString(proc.resolve("7/status"), "VmRSS:\t  102400 kB\n");
        Files.writeString(proc.resolve("7/stat"), stat(0, 0));
        ProcSampler sampler = new ProcSampler(proc, 7, 100);
        Files.writeString(proc.resolve("7/stat"), stat(75, 25));
        sampler.sample();
        return sampler;
    }

    private static String stat(long utime, long stime) {
        return "7 (x) S 1 7 7 0 -1 0 0 0 0 0 " + utime + " " + stime + " 0 0 20 0 1 0 1 1 1\n";
    }

    /** A table row: the label, A's and B's figure and the ratio, separated by spaces. */
    private static Pattern row(String label, String a, String b, String ratio) {
        return Pattern.compile("(?m)^" + Pattern.quote(label) + " +" + Pattern.quote(a) + " +" + Pattern.quote(b)
                + (ratio.isEmpty() ? "" : " +" + Pattern.quote(ratio)) + "$");
    }
}
