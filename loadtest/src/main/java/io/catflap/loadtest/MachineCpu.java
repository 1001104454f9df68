package io.catflap.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The whole machine's CPU use over a window, from the counters of {@code /proc/stat}. On a shared machine the
 * target, ClickHouse, the harness and everything else compete for the same cores: when they are all busy, that
 * explains latency no single process's CPU time shows. Linux only.
 */
final class MachineCpu {
    /**
     * One read of {@code /proc/stat}: clock ticks summed over all cores (its aggregate {@code cpu} line) and the
     * number of cores (its {@code cpuN} lines).
     *
     * @param busy ticks spent neither idle nor waiting for I/O; steal counts as busy (another guest of the
     *     hypervisor had the core)
     * @param total all ticks, busy or not
     */
    record Ticks(long busy, long total, int cores) {
        /** Cores busy on average from {@code earlier} to this read; 0 when no tick passed in between. */
        double busyCoresSince(Ticks earlier) {
            long total = this.total - earlier.total;
            return total == 0 ? 0 : cores * (double) (busy - earlier.busy) / total;
        }
    }

    private final Path stat;
    private final Ticks start;
    private Ticks last;

    private MachineCpu(Path stat, Ticks start) {
        this.stat = stat;
        this.start = start;
        this.last = start;
    }

    /** Opens a window now on {@code stat} (a {@code /proc/stat}); null when it cannot be read (not Linux). */
    static MachineCpu start(Path stat) {
        try {
            return new MachineCpu(stat, read(stat));
        } catch (IOException notLinux) {
            return null;
        }
    }

    /** Closes the window here: reads the counters again, keeping the previous read if that fails. */
    void sample() {
        try {
            last = read(stat);
        } catch (IOException unreadable) {
            // Keep the previous read: the window ends there.
        }
    }

    /** Cores busy on average from {@link #start} to the last {@link #sample()}, 0 to {@link #cores()}. */
    double busyCores() {
        return last.busyCoresSince(start);
    }

    int cores() {
        return last.cores();
    }

    private static Ticks read(Path stat) throws IOException {
        return parse(Files.readString(stat, StandardCharsets.US_ASCII));
    }

    /**
     * The counters of a {@code /proc/stat} text. The aggregate line is {@code cpu user nice system idle iowait irq
     * softirq steal guest guest_nice}; older kernels stop earlier. Guest time is left out: the kernel already
     * counts it in user and nice.
     */
    static Ticks parse(String procStat) {
        long busy = 0;
        long total = 0;
        int cores = 0;
        for (String line : procStat.split("\n")) {
            String[] f = line.trim().split(" +");
            if (f[0].equals("cpu")) {
                for (int i = 1; i < Math.min(f.length, 9); i++) {
                    long ticks = Long.parseLong(f[i]);
                    total += ticks;
                    busy += i == 4 || i == 5 ? 0 : ticks;   // 4 idle, 5 iowait
                }
            } else if (f[0].startsWith("cpu")) {
                cores++;
            }
        }
        return new Ticks(busy, total, cores);
    }
}
