package io.catflap.client;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The client daemon as its own process ({@code java -cp ... io.catflap.client.ClientMain}) on free ports, with helpers
 * to talk to its local API and read its metrics. Tests of any package may use it. Like every {@link JavaProcess}, a
 * daemon that reported a leaked buffer fails the test when it is stopped or closed.
 */
public final class DaemonProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final JavaProcess process;
    private final int port;
    private final int adminPort;

    private DaemonProcess(JavaProcess process, int port, int adminPort) {
        this.process = process;
        this.port = port;
        this.adminPort = adminPort;
    }

    /**
     * Starts a daemon with {@code --dir dir}, free API and admin ports, plus {@code extraArgs} (e.g. {@code --ch-addr}).
     */
    public static DaemonProcess start(Path dir, String... extraArgs) throws Exception {
        return start(dir, JavaProcess.freePort(), JavaProcess.freePort(), extraArgs);
    }

    public static DaemonProcess start(Path dir, int port, int adminPort, String... extraArgs) throws Exception {
        return start(JavaProcess.TEST_JVM, dir, port, adminPort, extraArgs);
    }

    public static DaemonProcess start(List<String> jvmArgs, Path dir, int port, int adminPort, String... extraArgs)
            throws Exception {
        List<String> args = new ArrayList<>(List.of("--port", Integer.toString(port), "--admin", "127.0.0.1:" + adminPort,
                "--dir", dir.toString()));
        args.addAll(List.of(extraArgs));
        JavaProcess p = JavaProcess.start("client-daemon", jvmArgs, "io.catflap.client.ClientMain", args, adminPort);
        return new DaemonProcess(p, port, adminPort);
    }

    public JavaProcess process() {
        return process;
    }

    public int port() {
        return port;
    }

    /** POSTs rows; {@code params} is the query string after {@code table=...}, e.g. {@code &persistent=1}. */
    public HttpResponse<String> post(String table, String params, byte[] body) throws IOException, InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + port + "/?table=" + URLEncoder.encode(table, StandardCharsets.UTF_8)
                + params);
        return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String table, String params, String body) throws IOException, InterruptedException {
        return post(table, params, body.getBytes(StandardCharsets.UTF_8));
    }

    /** GET /?query=... through the daemon. */
    public HttpResponse<String> query(String sql) throws IOException, InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + port + "/?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8)
                .replace("+", "%20"));
        return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public void udp(byte[] packet) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            s.send(new DatagramPacket(packet, packet.length, InetAddress.getLoopbackAddress(), port));
        }
    }

    public String admin(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /**
     * Sum of every sample of a Prometheus metric whose labels contain {@code labelFilter} (e.g. {@code reason="bad_crc"},
     * or "" for all); 0 when absent.
     */
    public double metric(String name, String labelFilter) throws IOException, InterruptedException {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*})? (\\S+)$").matcher(admin("/metrics"));
        double sum = 0;
        while (m.find()) {
            if (labelFilter.isEmpty() || (m.group(1) != null && m.group(1).contains(labelFilter))) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    public void kill() throws InterruptedException {
        process.kill();
    }

    @Override
    public void close() {
        process.close();
    }
}
