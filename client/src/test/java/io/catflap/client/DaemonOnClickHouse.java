package io.catflap.client;

import io.catflap.testkit.ClickHouseServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** Base of test classes that share one daemon process pointed straight at the test ClickHouse's HTTP port. */
abstract class DaemonOnClickHouse {
    static final ClickHouseServer CH = ClickHouseServer.shared();
    @TempDir
    static Path dir;
    static DaemonProcess daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        daemon = DaemonProcess.start(dir, "--ch-addr", CH.host() + ":" + CH.httpPort());
    }

    @AfterAll
    static void stopDaemon() {
        daemon.close();
    }
}
