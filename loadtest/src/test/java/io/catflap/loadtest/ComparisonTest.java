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

/** The side-by-side figures and ratios from known runs: A twice as fast as B, only A's process sampled. */
class ComparisonTest {
    @TempDir
    Path proc;

    @Test
    void figuresSideBySideWithRatiosOfTheFirstTargetOverEachOther() throws Exception {
        TargetOutcome a = TargetOutcome.of(report("kitten://127.0.0.1:1", 100, sampledProcess(), 40L));
        TargetOutcome b = TargetOutcome.of(report("kitten://127.0.0.1:2", 50, null, 400L));
        Comparison comparison = new Comparison(List.of(a, b));

        String text = comparison.text();
        assertTrue(text.contains("A  kitten://127.0.0.1:1\nB  kitten://127.0.0.1:2\n"), text);
        assertTrue(row("requests/s", "10", "5", "2.00").matcher(text).find(), text);
        assertTrue(row("rows/s", "20", "10", "2.00").matcher(text).find(), text);
        assertTrue(row("cpu us/request", "10,000.0", "-", "-").matcher(text).find(), "B was not sampled: " + text);
        assertTrue(row("CH inserts/s/table", "4.0", "40.0", "0.10").matcher(text).find(),
                "ClickHouse's inserts over 10 s and 1 table: " + text);
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

    /** A verified 10-second run of {@code requests} two-row inserts into one table, none lost. */
    private static RunReport report(String target, int requests, ProcSampler sampled, long clickHouseInserts) {
        Stats stats = new Stats(1);
        for (int i = 0; i < requests; i++) {
            stats.insertAcked(0, 2, 1000);
        }
        List<Verifier.TableCount> verified = List.of(new Verifier.TableCount("t", 2L * requests, 0, 2L * requests,
                2L * requests, 0));
        return new RunReport(Map.of("target", target, "idle_connections", 0L), 10, stats, sampled, null, verified, null,
                clickHouseInserts);
    }

    /** A process in a scratch /proc that used 1 s of CPU (100 ticks) and holds 100 MiB. */
    private ProcSampler sampledProcess() throws Exception {
        Files.createDirectories(proc.resolve("7"));
        Files.writeString(proc.resolve("7/status"), "VmRSS:\t  102400 kB\n");
        Files.writeString(proc.resolve("7/stat"), stat(0));
        ProcSampler sampler = new ProcSampler(proc, 7, 100);
        Files.writeString(proc.resolve("7/stat"), stat(100));
        sampler.sample();
        return sampler;
    }

    private static String stat(long utime) {
        return "7 (x) S 1 7 7 0 -1 0 0 0 0 0 " + utime + " 0 0 0 20 0 1 0 1 1 1\n";
    }

    /** A table row: the label, A's and B's figure and the ratio, separated by spaces. */
    private static Pattern row(String label, String a, String b, String ratio) {
        return Pattern.compile("(?m)^" + Pattern.quote(label) + " +" + Pattern.quote(a) + " +" + Pattern.quote(b)
                + (ratio.isEmpty() ? "" : " +" + Pattern.quote(ratio)) + "$");
    }
}
