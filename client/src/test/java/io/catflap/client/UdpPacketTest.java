package io.catflap.client;

import io.catflap.client.api.UdpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UdpPacketTest {

    private static UdpPacket parse(byte[] bytes) throws UdpPacket.BadPacketException {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            return UdpPacket.parse(buf);
        } finally {
            buf.release();
        }
    }

    /** Built by hand as kittenhouse's parseUDPPacket expects it: table \0 data crc32le(everything before). */
    @Test
    void parsesKittenhouseLayout() throws Exception {
        byte[] head = "t(a)\0(1),(2)".getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(head);
        long v = crc.getValue();
        byte[] packet = new byte[head.length + 4];
        System.arraycopy(head, 0, packet, 0, head.length);
        for (int i = 0; i < 4; i++) {
            packet[head.length + i] = (byte) (v >>> (8 * i));
        }
        UdpPacket p = parse(packet);
        assertEquals("t(a)", p.table());
        assertArrayEquals("(1),(2)".getBytes(StandardCharsets.US_ASCII), p.rows());
        assertFalse(p.rowBinary());
        assertArrayEquals(packet, UdpPacket.encode(0, "t(a)", "(1),(2)".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void flagsByteBelow32() throws Exception {
        UdpPacket p = parse(UdpPacket.encode(UdpPacket.FLAG_ROW_BINARY | UdpPacket.FLAG_PERSISTENT, "db.t", new byte[]{0, 1}));
        assertTrue(p.rowBinary());
        assertTrue(p.persistent());
        assertEquals("db.t", p.table());
        assertArrayEquals(new byte[]{0, 1}, p.rows());
    }

    @Test
    void rejectsBadPackets() {
        byte[] good = UdpPacket.encode(0, "t", "(1)".getBytes(StandardCharsets.US_ASCII));
        byte[] flipped = good.clone();
        flipped[2] ^= 1;
        assertEquals("bad_crc", assertThrows(UdpPacket.BadPacketException.class, () -> parse(flipped)).reason());
        assertEquals("too_short", assertThrows(UdpPacket.BadPacketException.class, () -> parse(new byte[4])).reason());
        byte[] noNul = new byte[]{'a', 'b', 0, 0, 0, 0};
        CRC32 crc = new CRC32();
        crc.update(noNul, 0, 2);
        long v = crc.getValue();
        for (int i = 0; i < 4; i++) {
            noNul[2 + i] = (byte) (v >>> (8 * i));
        }
        assertEquals("no_table", assertThrows(UdpPacket.BadPacketException.class, () -> parse(noNul)).reason());
    }
}
