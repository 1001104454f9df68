package io.catflap.loadtest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The ClickHouse server behind a {@code --clickhouse} URL. Its process is sampled when it runs on this machine:
 * every INSERT it executes creates a part, so on a small machine its own CPU bounds what any aggregator in front of
 * it can deliver.
 */
final class ClickHouseProcess {
    private ClickHouseProcess() {}

    /** The URL's port, or ClickHouse's default HTTP port for its scheme: 8443 for https, else 8123. */
    static int port(URI url) {
        return url.getPort() != -1 ? url.getPort() : "https".equals(url.getScheme()) ? 8443 : 8123;
    }

    /**
     * The PID of ClickHouse's server process, found like {@code --target-port}'s process: the one listening on the
     * URL's port. Empty, never an exception, when the URL's host is not a loopback address, when {@code proc} shows no
     * such process (not Linux, another user's process this one may not inspect), or when the listener's command name
     * does not start with {@code clickhouse}: a port proxy in front of a container or a tunnel is not ClickHouse, and
     * its CPU would be reported as if it were.
     *
     * @param proc the {@code /proc} to look in
     */
    static OptionalLong localPid(Path proc, URI url) {
        try {
            // getByName(null) is the loopback address: a URL without a host must not pass for one.
            if (url.getHost() == null || !Target.isLoopback(url.getHost())) {
                return OptionalLong.empty();
            }
            OptionalLong pid = ProcSampler.pidListeningOn(proc, port(url));
            if (pid.isPresent() && !Files.readString(proc.resolve(pid.getAsLong() + "/comm"), StandardCharsets.UTF_8)
                    .startsWith("clickhouse")) {
                return OptionalLong.empty();
            }
            return pid;
        } catch (IOException | UncheckedIOException notFound) {
            return OptionalLong.empty();
        }
    }
}
