package io.catflap.aggregator.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's resident set size from Linux's {@code /proc/self/status}; the JVM itself does not report it. */
final class ResidentMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    private ResidentMemory() {
    }

    static boolean available() {
        return bytes() >= 0;
    }

    /** VmRSS in bytes, or -1 where {@code /proc} is missing. */
    static double bytes() {
        try {
            for (String line : Files.readAllLines(STATUS, StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmRSS:")) {
                    // "VmRSS:     123456 kB"
                    String kb = line.substring("VmRSS:".length()).trim().split("\\s+")[0];
                    return Long.parseLong(kb) * 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or an unexpected format: the gauge is simply not offered
        }
        return -1;
    }
}
