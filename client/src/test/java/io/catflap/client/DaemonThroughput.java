package io.catflap.client;

import io.catflap.testkit.ClickHouseServer;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Manual measurement, not a test: single-row POSTs from many keep-alive connections into a daemon process (pointed at
 * the test ClickHouse directly, or through an aggregator process with a third argument {@code aggregator}), for memory
 * mode and each fsync policy of persistent mode. Prints rows/s and the daemon's RSS. Run:
 * {@code java -cp <test class path> io.catflap.client.DaemonThroughput [connections] [seconds] [aggregator]}.
 */
public final class DaemonThroughput {
    private static final String HEAP = System.getProperty("heap", "-Xmx128m");

    public static void main(String[] args) throws Exception {
        int connections = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        ClickHouseServer ch = ClickHouseServer.shared();
        AggregatorProcess aggregator = args.length > 2 && args[2].equals("aggregator")
                ? AggregatorProcess.start(JavaProcess.freePort(), ch.httpUrl()) : null;
        String destination = aggregator != null ? aggregator.hostPort() : ch.host() + ":" + ch.httpPort();
        String ddl = "id UInt64, s String";
        for (String[] mode : new String[][]{{"memory", "", "interval"}, {"persistent", "&persistent=1", "never"},
                {"persistent", "&persistent=1", "interval"}, {"persistent", "&persistent=1", "always"}}) {
            String table = ch.createTable("bench", ddl);
            Path dir = Files.createTempDirectory("catflap-bench");
            try (DaemonProcess daemon = DaemonProcess.start(List.of(HEAP), dir, JavaProcess.freePort(),
                    JavaProcess.freePort(), "--ch-addr", destination, "--fsync", mode[2])) {
                run(daemon.port(), table + "(id,s)", mode[1], connections, 3);   // warm-up
                long rows = run(daemon.port(), table + "(id,s)", mode[1], connections, seconds);
                System.out.printf("%-10s fsync=%-8s %3d connections -> %s: %,d rows/s, daemon RSS %s (%s)%n",
                        mode[0], mode[2], connections, aggregator != null ? "aggregator" : "ClickHouse", rows / seconds,
                        rss(daemon.process().pid()), HEAP);
            }
        }
        if (aggregator != null) {
            aggregator.close();
        }
        System.exit(0);
    }

    private static long run(int port, String table, String params, int connections, int seconds) throws Exception {
        AtomicLong sent = new AtomicLong();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            int id = c;
            Thread t = new Thread(() -> {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setTcpNoDelay(true);
                    s.setSoTimeout(60_000);   // a stuck daemon fails the run instead of hanging it
                    OutputStream out = s.getOutputStream();
                    InputStream in = new BufferedInputStream(s.getInputStream());
                    long i = 0;
                    while (System.nanoTime() < end) {
                        byte[] body = ("(" + (id * 1_000_000_000L + i++) + ",'bench row')").getBytes(StandardCharsets.UTF_8);
                        out.write(("POST /?table=" + table + params + " HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(body);
                        out.flush();
                        if (readStatus(in) == 200) {
                            sent.incrementAndGet();
                        }
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        return sent.get();
    }

    /** Reads one response (the daemon's answers to inserts carry Content-Length). */
    private static int readStatus(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed");
            }
            head.append((char) c);
        }
        String h = head.toString();
        int cl = h.toLowerCase().indexOf("content-length: ");
        int len = Integer.parseInt(h.substring(cl + 16, h.indexOf("\r\n", cl)).trim());
        in.readNBytes(len);
        return Integer.parseInt(h.substring(9, 12));
    }

    private static String rss(long pid) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("VmRSS"))
                .map(l -> l.substring(6).trim()).findFirst().orElse("?");
    }
}
