package io.catflap.loadtest;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code catflap-loadtest fake-clickhouse}: runs only the slow fake ClickHouse, for a target started separately. */
@Command(name = "fake-clickhouse", mixinStandardHelpOptions = true,
        description = "Run the built-in fake ClickHouse (ingests INSERTs at a set rate, stores nothing) for a while.")
final class FakeClickHouseCommand implements Callable<Integer> {
    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "default ${DEFAULT-VALUE}")
    String listen = "127.0.0.1:0";

    @Option(names = "--rate", paramLabel = "BYTES", converter = Units.Bytes.class,
            description = "bytes per second to ingest (default 2MiB)")
    long rate = 2 << 20;

    @Option(names = {"-d", "--duration"}, paramLabel = "TIME", converter = Units.Millis.class,
            description = "how long to run (default 10m)")
    long durationMillis = 600_000;

    @Override
    public Integer call() throws Exception {
        int colon = listen.lastIndexOf(':');
        try (FakeClickHouse fake = FakeClickHouse.start(listen.substring(0, colon),
                Integer.parseInt(listen.substring(colon + 1)), rate)) {
            System.err.println("fake ClickHouse listening on " + fake.url());
            Thread.sleep(durationMillis);
            System.err.printf("%d inserts, %d bytes ingested, peak %d concurrent inserts%n", fake.inserts(),
                    fake.insertedBytes(), fake.peakInsertsInFlight());
        }
        return 0;
    }
}
