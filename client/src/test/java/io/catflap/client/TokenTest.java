package io.catflap.client;

import io.catflap.testkit.ClickHouseServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An aggregator that requires bearer tokens: a daemon with the right token delivers, one without is refused. */
class TokenTest {
    private static final ClickHouseServer CH = ClickHouseServer.shared();

    @TempDir
    Path dir;

    @Test
    void tokenFromFileIsPresentedAndMissingTokenIsRefused() throws Exception {
        String table = CH.createTable("token", "id UInt64");
        Path tokens = Files.writeString(dir.resolve("tokens"), "t0ken-1 *\n");
        Path tokenFile = Files.writeString(dir.resolve("client-token"), "t0ken-1\n");
        try (AggregatorProcess aggregator = AggregatorProcess.start(JavaProcess.freePort(), CH.httpUrl(),
                "--tokens", tokens.toString());
             DaemonProcess good = DaemonProcess.start(dir.resolve("good"), "--ch-addr", aggregator.hostPort(),
                     "--token-file", tokenFile.toString());
             DaemonProcess anonymous = DaemonProcess.start(dir.resolve("anon"), "--ch-addr", aggregator.hostPort())) {
            HttpResponse<String> ok = good.post(table + "(id)", "&debug=1", "(1),(2)");
            assertEquals(200, ok.statusCode(), ok.body());
            assertEquals(2, CH.count(table));
            HttpResponse<String> refused = anonymous.post(table + "(id)", "&debug=1", "(3)");
            assertEquals(500, refused.statusCode());
            assertTrue(refused.body().contains("401"), refused.body());
            assertEquals(2, CH.count(table));
        }
    }
}
