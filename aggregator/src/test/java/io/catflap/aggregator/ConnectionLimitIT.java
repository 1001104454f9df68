package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.select.Waits;
import io.catflap.protocol.HandshakeReply;
import io.catflap.protocol.KittenStreams;
import io.catflap.protocol.ProtocolException;
import io.catflap.testkit.ClickHouseServer;
import java.io.IOException;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** {@code --max-connections}: connections beyond it are closed at once and counted; a freed place is taken again. */
class ConnectionLimitIT {
    @Test
    void connectionsBeyondTheCapAreClosedAndCounted() throws Exception {
        ClickHouseServer ch = ClickHouseServer.shared();
        try (Aggregator agg = Aggregator.start(TestAggregators.local(ch.httpUrl()).maxConnections(2));
             Socket first = connect(agg);
             Socket second = connect(agg)) {
            assertTrue(handshake(first).meow());
            assertTrue(handshake(second).meow());
            try (Socket third = connect(agg)) {
                assertEquals(-1, third.getInputStream().read(), "the third connection is closed at once");
            }
            assertEquals(1, agg.registry().get("catflap.connections.refused").counter().count());

            first.close();
            Waits.until("the closed connection's place is free", () -> {
                try (Socket again = connect(agg)) {
                    return handshake(again).meow();
                } catch (IOException | ProtocolException refused) {   // closed at once: still full
                    return false;
                }
            });
        }
    }

    private static Socket connect(Aggregator agg) throws IOException {
        Socket s = new Socket("127.0.0.1", agg.port());
        s.setSoTimeout(20_000);
        return s;
    }

    private static HandshakeReply.Result handshake(Socket s) throws IOException {
        KittenStreams.writeHandshake(s.getOutputStream(), null);
        return KittenStreams.readHandshakeReply(s.getInputStream());
    }
}
