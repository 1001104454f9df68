package io.catflap.client;

import io.catflap.testkit.ClickHouseServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The aggregator is down while apps write: persistent rows are all delivered once it is up; in-memory rows are kept up
 * to the buffer cap and everything past it is refused with an error and counted — nothing else is lost.
 */
class AggregatorOutageTest {
    private static final ClickHouseServer CH = ClickHouseServer.shared();
    private static final int CAP = 64 << 10;

    @TempDir
    Path dir;

    @Test
    void persistentRowsWaitForTheAggregatorAndMemoryLosesOnlyWhatTheCapRefuses() throws Exception {
        String table = CH.createTable("outage", "id UInt64, s String");
        String spec = table + "(id,s)";
        int aggregatorPort = JavaProcess.freePort();
        try (DaemonProcess daemon = DaemonProcess.start(dir, "--ch-addr", "127.0.0.1:" + aggregatorPort,
                "--buffer-bytes", Integer.toString(CAP), "--health-check-sec", "1")) {
            for (int i = 0; i < 300; i++) {
                HttpResponse<String> r = daemon.post(spec, "&persistent=1", "(" + i + ",'disk')");
                assertEquals(200, r.statusCode(), r.body());
            }
            String pad = "x".repeat(1000);
            int accepted = 0;
            int refused = 0;
            for (int i = 0; i < 200; i++) {
                HttpResponse<String> r = daemon.post(spec, "", "(" + (10_000 + i) + ",'mem" + pad + "')");
                if (r.statusCode() == 200) {
                    accepted++;
                } else {
                    assertEquals(500, r.statusCode());
                    assertEquals("Writing too fast: buffer overflow", r.body());
                    refused++;
                }
            }
            assertTrue(accepted > 0 && refused > 0, "accepted " + accepted + ", refused " + refused);
            assertTrue(accepted * 1010L < CAP, "accepted more than the cap: " + accepted);
            assertEquals(refused, daemon.metric("catflap_client_refused_writes_total", ""));
            Thread.sleep(3000);   // several failed flushes and sends while the aggregator is down
            assertEquals(0, CH.count(table));

            try (AggregatorProcess aggregator = AggregatorProcess.start(aggregatorPort, CH.httpUrl())) {
                long expected = 300 + accepted;
                assertEquals(expected, Await.until(Duration.ofSeconds(120), expected, () -> CH.count(table)));
                assertEquals(300, CH.count(table, "s = 'disk'"));
                assertTrue(aggregator.process().isAlive());
            }
        }
    }
}
