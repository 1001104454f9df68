package io.catflap.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A server process (ClickHouse, ZooKeeper) started through a small shell watchdog that SIGKILLs it and removes its
 * directory once the owning process (the test JVM) is gone, so a test JVM killed with SIGKILL leaves nothing behind.
 * The server's output goes to a file.
 */
final class OwnedProcess {

    /** Runs the command after the first three arguments in the background; stays as long as it and the owner live. */
    private static final String WATCHDOG = """
            owner=$1 dir=$2 out=$3
            shift 3
            "$@" >"$out" 2>&1 &
            child=$!
            while kill -0 "$owner" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
            if kill -0 "$child" 2>/dev/null; then kill -9 "$child"; wait "$child"; rm -rf "$dir"; exit 0; fi
            wait "$child"
            """;

    private final Process watchdog;

    private OwnedProcess(Process watchdog) {
        this.watchdog = watchdog;
    }

    /**
     * Starts {@code command} with its output in {@code out}; if process {@code ownerPid} ends first, the command is
     * killed and {@code dir} removed.
     */
    static OwnedProcess start(List<String> command, Path dir, Path out, long ownerPid) {
        List<String> sh = new ArrayList<>(List.of("sh", "-c", WATCHDOG, "catflap-watchdog",
                Long.toString(ownerPid), dir.toString(), out.toString()));
        sh.addAll(command);
        try {
            return new OwnedProcess(new ProcessBuilder(sh)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.get(0), e);
        }
    }

    /** False once the server has exited (the watchdog exits with it). */
    boolean isAlive() {
        return watchdog.isAlive();
    }

    /** The server's exit status, once {@link #isAlive()} is false. */
    int exitValue() {
        return watchdog.exitValue();
    }

    /** SIGKILLs the server and the watchdog, and waits for them to be gone; the directory stays. */
    void kill() {
        List<ProcessHandle> processes = new ArrayList<>(watchdog.descendants().toList());
        processes.add(watchdog.toHandle());
        processes.forEach(ProcessHandle::destroyForcibly);
        // A restart reuses the server's ports and directory: wait until the old server is really gone.
        for (ProcessHandle p : processes) {
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | TimeoutException e) {
                // gone or stuck in the kernel; nothing more a test can do
            }
        }
    }
}
