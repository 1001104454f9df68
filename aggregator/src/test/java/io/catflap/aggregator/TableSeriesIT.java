package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.batch.TrackedTables;
import io.catflap.protocol.Kitten;
import io.catflap.protocol.KittenStreams;
import io.catflap.protocol.ResponseFrame;
import io.catflap.testkit.ClickHouseServer;
import io.micrometer.core.instrument.Meter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Table names are strings from the network: a flood of made-up names must not grow the metrics, while real tables
 * keep series of their own up to the cap, against the real ClickHouse.
 */
class TableSeriesIT {
    private static final int BAD_NAMES = 300;

    @Test
    void madeUpTableNamesShareOneSeriesAndRealTablesGetTheirOwnUpToTheCap() throws Exception {
        ClickHouseServer ch = ClickHouseServer.shared();
        List<String> real = List.of(ch.createTable("series_a", "a UInt32"), ch.createTable("series_b", "a UInt32"),
                ch.createTable("series_c", "a UInt32"));
        try (Aggregator agg = Aggregator.start(TestAggregators.local(ch.httpUrl()).flushIntervalMillis(20)
                .maxTrackedTables(2));
             Socket s = new Socket("127.0.0.1", agg.port())) {
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            KittenStreams.writeHandshake(out, null);
            assertTrue(KittenStreams.readHandshakeReply(in).meow());
            for (int round = 0; round < 2; round++) {   // the second round counts under names that earned series
                for (String table : real) {
                    send(out, table, "(" + round + ")");
                    assertEquals(200, answer(in).status(), table);
                }
            }
            for (int i = 0; i < BAD_NAMES; i++) {   // pipelined: answered in order
                send(out, ClickHouseServer.TEST_DATABASE + ".no_such_table_" + i, "(1)");
            }
            for (int i = 0; i < BAD_NAMES; i++) {
                assertEquals(404, answer(in).status(), "ClickHouse's own answer to an unknown table");
            }

            Set<String> labels = new TreeSet<>();
            for (Meter m : agg.registry().getMeters()) {
                String table = m.getId().getTag("table");
                if (table != null) {
                    labels.add(table);
                }
            }
            assertTrue(labels.contains(TrackedTables.OTHER), labels::toString);
            labels.remove(TrackedTables.OTHER);
            assertEquals(2, labels.size(), "two real tables, the cap: " + labels);
            assertTrue(real.containsAll(labels), labels::toString);
            assertEquals(2, agg.registry().get("catflap.tables.tracked").gauge().value());
        }
        for (String table : real) {
            assertEquals(2, ch.count(table), table);
        }
    }

    private static void send(OutputStream out, String table, String values) throws IOException {
        byte[] body = values.getBytes(StandardCharsets.US_ASCII);
        KittenStreams.writeRequest(out, 0, table + "(a)", body, 0, body.length);
    }

    private static ResponseFrame answer(InputStream in) throws IOException {
        return KittenStreams.readResponse(in, Kitten.MAX_RESPONSE_MESSAGE_BYTES);
    }
}
