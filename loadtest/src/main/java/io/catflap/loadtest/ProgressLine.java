package io.catflap.loadtest;

/** The live one-line status printed every second: rates since the previous line, errors and p99 so far. */
final class ProgressLine {
    private final Stats stats;
    private final ProcSampler target;
    private long lastRequests;
    private long lastRows;
    private long lastNanos = System.nanoTime();
    private double lastCpu;

    ProgressLine(Stats stats, ProcSampler target) {
        this.stats = stats;
        this.target = target;
    }

    String next(double elapsedSeconds, int connections) {
        long now = System.nanoTime();
        double dt = Math.max(1e-3, (now - lastNanos) / 1e9);
        long requests = stats.requests();
        long rows = stats.rowsAcked();
        String line = RunReport.fmt("[%5.1fs] %,9.0f req/s %,11.0f rows/s  errors %,d  p99 %.2f ms  conns %,d",
                elapsedSeconds, (requests - lastRequests) / dt, (rows - lastRows) / dt, stats.errors(),
                stats.insertLatency.percentile(0.99) / 1000.0, connections);
        if (target != null) {
            target.sample();
            line += RunReport.fmt("  target cpu %3.0f%% rss %.0f MiB", 100 * (target.cpuSeconds() - lastCpu) / dt,
                    target.rssKib() / 1024.0);
            lastCpu = target.cpuSeconds();
        }
        lastRequests = requests;
        lastRows = rows;
        lastNanos = now;
        return line;
    }
}
