package io.catflap.client;

import io.catflap.client.api.UdpPacket;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** kittenhouse's UDP packets reach ClickHouse through the daemon; corrupt packets are dropped and counted. */
class UdpTest extends DaemonOnClickHouse {

    @Test
    void packetsLandAndBadCrcIsDroppedAndCounted() throws Exception {
        String table = CH.createTable("udp", "id UInt64, s String");
        for (int i = 0; i < 30; i++) {
            daemon.udp(UdpPacket.encode(0, table + "(id,s)", ("(" + i + ",'udp')").getBytes(StandardCharsets.UTF_8)));
        }
        daemon.udp(UdpPacket.encode(UdpPacket.FLAG_ROW_BINARY, table + "(id,s)", new RowBinary().row(100, "rb").bytes()));
        byte[] corrupt = UdpPacket.encode(0, table + "(id,s)", "(999,'corrupt')".getBytes(StandardCharsets.UTF_8));
        corrupt[corrupt.length - 1] ^= 0x5a;
        daemon.udp(corrupt);
        daemon.udp(new byte[]{1, 2});

        // Loopback UDP does not lose packets unless the socket buffer overflows, which 33 small ones do not.
        assertEquals(31L, Await.until(Duration.ofSeconds(30), 31L, () -> CH.count(table)));
        assertEquals(1.0, Await.until(Duration.ofSeconds(10), 1.0,
                () -> daemon.metric("catflap_client_udp_dropped_total", "reason=\"bad_crc\"")));
        assertEquals(1.0, daemon.metric("catflap_client_udp_dropped_total", "reason=\"too_short\""));
        assertEquals(0, CH.count(table, "id = 999"));
        assertEquals(1, CH.count(table, "s = 'rb'"));
    }
}
