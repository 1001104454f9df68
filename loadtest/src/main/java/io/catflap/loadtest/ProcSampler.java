package io.catflap.loadtest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Samples a target process's CPU time ({@code utime + stime} of {@code /proc/PID/stat}, and {@code stime}, the
 * kernel's share, alone) and resident memory ({@code VmRSS} of {@code /proc/PID/status}), keeping the peak. Linux
 * only; a process that exits keeps its last sample.
 */
public final class ProcSampler {
    private final Path proc;
    private final long pid;
    private final long ticksPerSecond;
    private final long[] startTicks;
    private long[] lastTicks;
    private long lastRssKib;
    private long peakRssKib;

    public ProcSampler(Path proc, long pid, long ticksPerSecond) {
        this.proc = proc;
        this.pid = pid;
        this.ticksPerSecond = ticksPerSecond;
        this.startTicks = readCpuTicks();
        this.lastTicks = startTicks;
        sample();
    }

    /** A sampler of process {@code pid} in this machine's {@code /proc}. */
    public static ProcSampler of(long pid) {
        return new ProcSampler(Path.of("/proc"), pid, clockTicksPerSecond());
    }

    public long pid() {
        return pid;
    }

    /** Reads the current CPU time and RSS; cheap enough to call every second. */
    public synchronized void sample() {
        try {
            lastTicks = readCpuTicks();
            lastRssKib = parseRssKib(Files.readString(proc.resolve(pid + "/status"), StandardCharsets.US_ASCII));
            peakRssKib = Math.max(peakRssKib, lastRssKib);
        } catch (IOException | UncheckedIOException gone) {
            // The target exited: keep the last values.
        }
    }

    /** CPU seconds the target used since this sampler was created (as of the last sample). */
    public synchronized double cpuSeconds() {
        return (lastTicks[0] + lastTicks[1] - startTicks[0] - startTicks[1]) / (double) ticksPerSecond;
    }

    /** The part of {@link #cpuSeconds()} spent in the kernel on the target's behalf: system calls, the network stack. */
    public synchronized double kernelCpuSeconds() {
        return (lastTicks[1] - startTicks[1]) / (double) ticksPerSecond;
    }

    public synchronized long rssKib() {
        return lastRssKib;
    }

    public synchronized long peakRssKib() {
        return peakRssKib;
    }

    private long[] readCpuTicks() {
        try {
            return parseCpuTicks(Files.readString(proc.resolve(pid + "/stat"), StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code {utime, stime}} in clock ticks from a {@code /proc/PID/stat} line. The command name (field 2) is in
     * parentheses and may itself contain spaces and parentheses, so fields are counted after the last ')'.
     */
    static long[] parseCpuTicks(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
        // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
        return new long[] {Long.parseLong(fields[11]), Long.parseLong(fields[12])};
    }

    /** The {@code VmRSS} value in KiB from {@code /proc/PID/status}; 0 if absent (a zombie, a kernel thread). */
    static long parseRssKib(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("VmRSS:")) {
                String value = line.substring("VmRSS:".length()).trim();
                return Long.parseLong(value.substring(0, value.indexOf(' ')).trim());
            }
        }
        return 0;
    }

    /**
     * The PID of the process listening on TCP {@code port}: the socket inode from {@code /proc/net/tcp} and
     * {@code tcp6}, then the process whose {@code fd} directory links to {@code socket:[inode]}.
     */
    public static OptionalLong pidListeningOn(Path proc, int port) throws IOException {
        Set<String> inodes = new HashSet<>();
        for (String table : new String[] {"net/tcp", "net/tcp6"}) {
            Path file = proc.resolve(table);
            if (Files.exists(file)) {
                inodes.addAll(listeningInodes(Files.readString(file, StandardCharsets.US_ASCII), port));
            }
        }
        if (inodes.isEmpty()) {
            return OptionalLong.empty();
        }
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(proc, "[0-9]*")) {
            for (Path process : processes) {
                if (ownsSocket(process.resolve("fd"), inodes)) {
                    return OptionalLong.of(Long.parseLong(process.getFileName().toString()));
                }
            }
        }
        return OptionalLong.empty();
    }

    /** Inodes of sockets in state LISTEN (0A) on {@code port} in a {@code /proc/net/tcp}-format table. */
    static Set<String> listeningInodes(String table, int port) {
        Set<String> inodes = new HashSet<>();
        String portHex = String.format(Locale.ROOT, ":%04X", port);
        String[] lines = table.split("\n");
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].trim().split(" +");
            if (f.length > 9 && f[1].endsWith(portHex) && f[3].equals("0A")) {
                inodes.add(f[9]);
            }
        }
        return inodes;
    }

    private static boolean ownsSocket(Path fdDir, Set<String> inodes) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(fdDir)) {
            for (Path fd : fds) {
                String link;
                try {
                    link = Files.readSymbolicLink(fd).toString();
                } catch (IOException closed) {
                    continue;
                }
                if (link.startsWith("socket:[") && inodes.contains(link.substring(8, link.length() - 1))) {
                    return true;
                }
            }
        } catch (IOException | SecurityException notOurs) {
            return false;
        }
        return false;
    }

    /** {@code getconf CLK_TCK}, or 100 (the value on every mainstream Linux build) if that fails. */
    public static long clockTicksPerSecond() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            return p.waitFor() == 0 ? Long.parseLong(out) : 100;
        } catch (IOException | NumberFormatException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
