package io.catflap.aggregator.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.testkit.ClickHouseServer;
import io.catflap.testkit.LeakCheckedMain;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SELECT whose result is many times the aggregator's heap streams through it completely: the aggregator runs in
 * its own JVM with a 64 MiB heap while about 500 MB of TSV pass through its data port, and leaks no buffer.
 */
class SelectHugeResultTest {

    private static final long ROWS = 30_000_000;
    private static final String HEAP = "64m";

    @Test
    void resultOfSeveralHeapsStreamsThrough(@TempDir Path dir) throws Exception {
        ClickHouseServer clickhouse = ClickHouseServer.shared();
        int port = freePort();
        int adminPort = freePort();
        Path log = dir.resolve("aggregator.log");
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + HEAP, "-XX:+ExitOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"),
                // the default sampling level: PARANOID's access records for 500 MB of buffers would take minutes
                LeakCheckedMain.class.getName(), "io.catflap.aggregator.AggregatorMain",
                "--listen", "127.0.0.1:" + port, "--admin", "127.0.0.1:" + adminPort,
                "--clickhouse", clickhouse.httpUrl().toString(), "--max-selects", "2"));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Waits.until("the aggregator answers /health", () -> {
                if (!child.isAlive()) {
                    throw new AssertionError("aggregator exited:\n" + Files.readString(log));
                }
                return status(URI.create("http://127.0.0.1:" + adminPort + "/health")) == 200;
            });

            String sql = "SELECT number, toString(number) FROM system.numbers LIMIT " + ROWS + " FORMAT TSV";
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/?query="
                    + URLEncoder.encode(sql, StandardCharsets.UTF_8)).toURL().openConnection();
            c.setReadTimeout(120_000);
            assertEquals(200, c.getResponseCode());
            long bytes = 0;
            long lines = 0;
            byte[] buf = new byte[64 << 10];
            try (InputStream in = c.getInputStream()) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    bytes += n;
                    for (int i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                            lines++;
                        }
                    }
                }
            }

            assertEquals(ROWS, lines, "every row arrived");
            assertEquals(expectedBytes(ROWS), bytes, "every byte arrived");
            assertTrue(bytes > 5 * (64L << 20), "the result is several times the heap: " + bytes);
            assertTrue(child.isAlive(), "the aggregator survived:\n" + Files.readString(log));
            String metrics = get(URI.create("http://127.0.0.1:" + adminPort + "/metrics"));
            System.out.printf("streamed %d rows, %d bytes through an aggregator with -Xmx%s; its RSS now %s, "
                    + "heap used %s%n", lines, bytes, HEAP, value(metrics, "process_resident_memory_bytes"),
                    value(metrics, "jvm_memory_used_bytes\\{area=\"heap\""));
        } catch (Throwable t) {
            throw new AssertionError(t + "\nthe aggregator's warnings and errors:\n" + problems(log), t);
        } finally {
            child.destroy();
            child.waitFor();
        }
        assertEquals(List.of(), LeakCheckedMain.leaks(Files.readString(log)), "buffers the aggregator leaked");
    }

    private static String problems(Path log) throws IOException {
        return Files.readAllLines(log).stream()
                .filter(l -> l.contains(" WARN ") || l.contains(" ERROR ") || l.contains("Exception")
                        || l.contains("Error"))
                .limit(50).collect(Collectors.joining("\n"));
    }

    /** Bytes of "n\tn\n" for n in [0, rows). */
    private static long expectedBytes(long rows) {
        long total = 0;
        for (long from = 0, digits = 1, to = 10; from < rows; from = to, to *= 10, digits++) {
            total += (Math.min(to, rows) - from) * (2 * digits + 2);
        }
        return total;
    }

    private static String value(String metrics, String prefix) {
        Matcher m = Pattern.compile("\n" + prefix + "[^\n]* (\\S+)\n").matcher(metrics);
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return String.format("%.1f MiB", sum / (1 << 20));
    }

    private static int status(URI uri) {
        try {
            HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
            c.setConnectTimeout(1000);
            return c.getResponseCode();
        } catch (IOException e) {
            return -1;
        }
    }

    private static String get(URI uri) throws IOException {
        try (InputStream in = uri.toURL().openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
