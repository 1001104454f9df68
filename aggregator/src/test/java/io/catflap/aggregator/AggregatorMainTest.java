package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AggregatorMainTest {

    private static AggregatorMain parse(String... args) {
        CommandLine cl = AggregatorMain.commandLine(args);
        cl.parseArgs(args);
        return cl.getCommand();
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        AggregatorMain m = parse();
        assertEquals("127.0.0.1:8124", m.listen);
        assertEquals(50, m.maxReaders);
        assertEquals(50, m.maxInserts);
        assertEquals(1 << 20, m.batchBytes);
        assertEquals(Duration.ofMillis(200), m.flushInterval);
        assertEquals(Duration.ofMillis(25), m.minFlushGap);
        assertEquals(20 << 20, m.maxRequestBytes);
        assertEquals(Duration.ofMinutes(1), m.idleTimeout);
        assertEquals(AggregatorConfig.DEFAULT_IDLE_TIMEOUT_MILLIS, m.idleTimeout.toMillis());
        assertNull(m.tokens);
        assertNull(m.tlsCert);
        assertEquals(new AggregatorConfig().tlsClientAuth(), AggregatorConfig.clientAuth(m.tlsClientAuth));
        assertThrows(IllegalArgumentException.class, () -> AggregatorConfig.clientAuth("none"));
    }

    @Test
    void theConfigFileSetsDefaultsAndTheCommandLineWins(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("catflap.properties");
        Files.writeString(file, "max-readers=7\nflush-interval=1s\nclickhouse=http://10.0.0.1:8123\nmax-inserts=3\n"
                + "idle-timeout=90s\n");
        AggregatorMain m = parse("--config", file.toString(), "--max-inserts=9");
        assertEquals(7, m.maxReaders);
        assertEquals(Duration.ofSeconds(1), m.flushInterval);
        assertEquals("http://10.0.0.1:8123", m.clickhouse.toString());
        assertEquals(9, m.maxInserts);
        assertEquals(Duration.ofSeconds(90), m.idleTimeout);
    }

    @Test
    void durationsAndAddresses() {
        AggregatorMain.DurationConverter d = new AggregatorMain.DurationConverter();
        assertEquals(Duration.ofMillis(250), d.convert("250ms"));
        assertEquals(Duration.ofMinutes(2), d.convert("2m"));
        assertEquals(Duration.ofSeconds(30), d.convert("PT30S"));
        assertThrows(CommandLine.TypeConversionException.class, () -> d.convert("5x"));
        assertEquals(8124, AggregatorMain.address("[::1]:8124").getPort());
        assertThrows(CommandLine.TypeConversionException.class, () -> AggregatorMain.address("nohost"));
    }
}
