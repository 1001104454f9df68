package io.catflap.client;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** SIGTERM right after the writes: the daemon flushes its memory buffers before it exits. */
class GracefulShutdownTest extends DaemonOnClickHouse {

    @Test
    void memoryBuffersAreFlushedOnSigterm() throws Exception {
        String table = CH.createTable("shutdown", "id UInt64");
        for (int i = 0; i < 100; i++) {
            assertEquals(200, daemon.post(table + "(id)", "", "(" + i + ")").statusCode());
        }
        assertEquals(143, daemon.process().stop());   // the JVM's exit status after SIGTERM and its shutdown hooks
        assertEquals(100, CH.count(table));
    }
}
