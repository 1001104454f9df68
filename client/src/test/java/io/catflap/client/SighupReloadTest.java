package io.catflap.client;

import io.catflap.testkit.ClickHouseServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Rows buffered for an unreachable server are delivered once a corrected routing file is loaded on SIGHUP. */
class SighupReloadTest {
    private static final ClickHouseServer CH = ClickHouseServer.shared();

    @TempDir
    Path dir;

    @Test
    void reloadKeepsBufferedRowsAndRoutesThemAnew() throws Exception {
        String table = CH.createTable("reload", "id UInt64");
        Path routing = dir.resolve("routing.conf");
        Files.writeString(routing, "* 127.0.0.1:" + JavaProcess.freePort() + ";\n");
        try (DaemonProcess daemon = DaemonProcess.start(dir.resolve("data"), "-c", routing.toString())) {
            for (int i = 0; i < 10; i++) {
                assertEquals(200, daemon.post(table + "(id)", "", "(" + i + ")").statusCode());
            }
            HttpResponse<String> sync = daemon.post(table + "(id)", "&debug=1", "(100)");
            assertEquals(500, sync.statusCode(), sync.body());
            String hashBefore = daemon.admin("/status");

            // Route this table (by its full name, as apps send it) to ClickHouse; everything else stays.
            Files.writeString(routing, "# fixed\n* 127.0.0.1:1;\n" + table + " " + CH.host() + ":" + CH.httpPort() + ";\n");
            daemon.process().signal("HUP");
            assertEquals(false, Await.until(Duration.ofSeconds(10), false, () -> daemon.admin("/status").equals(hashBefore)));

            assertEquals(10L, Await.until(Duration.ofSeconds(60), 10L, () -> CH.count(table)));
            assertEquals(200, daemon.post(table + "(id)", "&debug=1", "(101)").statusCode());
            assertEquals(1, CH.count(table, "id = 101"));
            assertEquals(0, CH.count(table, "id = 100"));
        }
    }
}
