package io.catflap.client;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * A catflap aggregator as its own process, from the test class path (test-scoped dependency). Like every
 * {@link JavaProcess}, one that reported a leaked buffer fails the test when it is closed.
 */
public final class AggregatorProcess implements AutoCloseable {
    private final JavaProcess process;
    private final int port;

    private AggregatorProcess(JavaProcess process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts one on {@code port} (KITTEN and HTTP) in front of {@code clickhouse}, with {@code extraArgs}. */
    public static AggregatorProcess start(int port, URI clickhouse, String... extraArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:" + port, "--admin",
                "127.0.0.1:" + JavaProcess.freePort(), "--clickhouse", clickhouse.toString()));
        args.addAll(List.of(extraArgs));
        return new AggregatorProcess(JavaProcess.start("aggregator", "io.catflap.aggregator.AggregatorMain", args, port), port);
    }

    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    public JavaProcess process() {
        return process;
    }

    @Override
    public void close() {
        process.close();
    }
}
