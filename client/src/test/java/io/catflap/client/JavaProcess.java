package io.catflap.client;

import io.catflap.testkit.LeakCheckedMain;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JVM started from the test's own class path (a daemon or an aggregator), output in target/processes/. Its main
 * class runs under the testkit's {@link LeakCheckedMain}: once the process is gone ({@link #stop}, {@link #kill},
 * {@link #close}), a leaked buffer it reported fails the test with an {@link AssertionError}.
 */
public final class JavaProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;
    private boolean leaksChecked;

    private JavaProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** JVM flags for processes under test: quick start, small heap, every leaked ByteBuf reported in the output. */
    public static final List<String> TEST_JVM = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1",
            "-Dio.netty.leakDetection.level=PARANOID");

    /** Starts {@code mainClass} with {@link #TEST_JVM} and waits until {@code readyPort} on 127.0.0.1 accepts connections. */
    public static JavaProcess start(String name, String mainClass, List<String> args, int readyPort) throws Exception {
        return start(name, TEST_JVM, mainClass, args, readyPort);
    }

    public static JavaProcess start(String name, List<String> jvmArgs, String mainClass, List<String> args, int readyPort)
            throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(LeakCheckedMain.class.getName());
        cmd.add(mainClass);
        cmd.addAll(args);
        Path dir = Files.createDirectories(Path.of("target", "processes"));
        Path log = dir.resolve(name + "-" + System.nanoTime() + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        JavaProcess jp = new JavaProcess(name, p, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException(name + " exited with " + p.exitValue() + ":\n" + jp.output());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", readyPort), 200);
                return jp;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        jp.destroy();
        throw new IllegalStateException(name + " did not open port " + readyPort + " in 30 s:\n" + jp.output());
    }

    /** A TCP port that was free a moment ago. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * SIGKILL, and wait for it to be gone. The process gets no exit-time GC, so only leaks it reported before count.
     *
     * @throws AssertionError if the process reported a leaked buffer
     */
    public void kill() throws InterruptedException {
        destroy();
        checkLeaks();
    }

    private void destroy() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * SIGTERM (graceful shutdown), and wait; returns the exit code.
     *
     * @throws AssertionError if the process reported a leaked buffer
     */
    public int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            destroy();
        }
        checkLeaks();
        return process.exitValue();
    }

    /** Fails, once, if the output of the ended process holds leak reports. */
    private void checkLeaks() {
        if (leaksChecked || process.isAlive()) {
            return;
        }
        leaksChecked = true;
        List<String> leaks = LeakCheckedMain.leaks(output());
        if (!leaks.isEmpty()) {
            throw new AssertionError(name + " (pid " + process.pid() + ") reported " + leaks.size()
                    + " leaked buffer(s); access records in " + log.toAbsolutePath() + ":\n"
                    + String.join("\n", leaks));
        }
    }

    /** Sends a signal by name (e.g. HUP) with kill(1). */
    public void signal(String name) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
    }

    public String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    /**
     * Stops the process if it still runs (as {@link #stop}).
     *
     * @throws AssertionError if the process reported a leaked buffer
     */
    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                stop();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        checkLeaks();
    }
}
