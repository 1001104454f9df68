package io.catflap.testkit;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Runs another main class with every Netty leak report printed to stderr as a line starting with {@value #MARK}:
 * {@code java -cp ... io.catflap.testkit.LeakCheckedMain io.catflap.aggregator.AggregatorMain --listen ...}.
 * For processes that tests start: the test scans their output with {@link #leaks} when they are gone. On the way
 * out (SIGTERM, {@code System.exit}, end of main), once the process's other threads have ended, it runs GC so that
 * buffers leaked until then are reported too. A process killed with SIGKILL reports only what GC found before.
 */
public final class LeakCheckedMain {
    /** What every leak report line starts with, as in Netty's own reports. */
    public static final String MARK = "LEAK: ";
    private static final String INDENT = "    ";
    /** A report: its first line, then its access records, each line indented. */
    private static final Pattern REPORT = Pattern.compile("(?m)^" + MARK + ".*(\\R" + INDENT + ".*)*");
    /** How long the exit check waits for the program's own shutdown (hooks, event loops) before it runs GC. */
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(10);

    private LeakCheckedMain() {
    }

    public static void main(String[] args) throws Throwable {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: LeakCheckedMain <main class> [arguments...]");
        }
        LeakReports.install(leak -> System.err.println(MARK + leak.replace("\n", "\n" + INDENT)));
        Runtime.getRuntime().addShutdownHook(new Thread(LeakCheckedMain::collectAtExit, "leak-check"));
        Method main = Class.forName(args[0]).getMethod("main", String[].class);
        main.setAccessible(true); // as for the java launcher, the main class need not be public
        try {
            main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** The leak reports in a process's output; empty if none. */
    public static List<String> leaks(String output) {
        return REPORT.matcher(output).results().map(r -> r.group()).toList();
    }

    private static void collectAtExit() {
        try {
            awaitOtherThreads();
            LeakReports.collect(3);
            System.err.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits, up to {@link #SHUTDOWN_WAIT}, for the live non-daemon threads other than this one and those waiting
     * in {@code System.exit} (which wait for this hook): other shutdown hooks, event loops still draining.
     */
    private static void awaitOtherThreads() throws InterruptedException {
        long deadline = System.nanoTime() + SHUTDOWN_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            // Looked up afresh each time: a thread may start waiting in System.exit while this one waits for it.
            Thread running = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t != Thread.currentThread() && !t.isDaemon() && t.isAlive() && !exiting(t))
                    .findFirst().orElse(null);
            if (running == null) {
                return;
            }
            running.join(50);
        }
    }

    private static boolean exiting(Thread t) {
        return Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getClassName().equals("java.lang.Shutdown"));
    }
}
