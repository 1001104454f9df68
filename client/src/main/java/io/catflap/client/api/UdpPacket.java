package io.catflap.client.api;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * kittenhouse's UDP packet: {@code [flags byte if < 32] table \0 rows crc32}, the CRC32 (IEEE) of everything before
 * it, little-endian. Flags are kittenhouse's: 1 persistent, 2 debug (ignored over UDP: there is no one to answer),
 * 4 RowBinary.
 */
public record UdpPacket(int flags, String table, byte[] rows) {
    public static final int FLAG_PERSISTENT = 1;
    public static final int FLAG_ROW_BINARY = 4;

    /** Why a packet was dropped; the name is the meter tag. */
    public static final class BadPacketException extends Exception {
        private final String reason;

        BadPacketException(String reason, String message) {
            super(message);
            this.reason = reason;
        }

        public String reason() {
            return reason;
        }
    }

    public boolean rowBinary() {
        return (flags & FLAG_ROW_BINARY) != 0;
    }

    public boolean persistent() {
        return (flags & FLAG_PERSISTENT) != 0;
    }

    /** Parses the readable bytes of {@code packet} without consuming them. */
    public static UdpPacket parse(ByteBuf packet) throws BadPacketException {
        int start = packet.readerIndex();
        int length = packet.readableBytes();
        if (length < 5) {
            throw new BadPacketException("too_short", "Packet too short");
        }
        int end = start + length - 4;
        CRC32 crc = new CRC32();
        crc.update(packet.nioBuffer(start, end - start));
        if ((int) crc.getValue() != packet.getIntLE(end)) {
            throw new BadPacketException("bad_crc", "Invalid CRC32");
        }
        int nul = packet.indexOf(start, end, (byte) 0);
        if (nul < 0) {
            throw new BadPacketException("no_table", "Missing nul byte");
        }
        int flags = 0;
        int tableStart = start;
        if (packet.getUnsignedByte(start) < 32) {
            flags = packet.getUnsignedByte(start);
            tableStart++;
        }
        String table = packet.toString(tableStart, nul - tableStart, StandardCharsets.UTF_8);
        byte[] rows = new byte[end - nul - 1];
        packet.getBytes(nul + 1, rows);
        return new UdpPacket(flags, table, rows);
    }

    /** Builds a packet (for apps and tests). */
    public static byte[] encode(int flags, String table, byte[] rows) {
        byte[] name = table.getBytes(StandardCharsets.UTF_8);
        int prefix = flags != 0 ? 1 : 0;
        byte[] out = new byte[prefix + name.length + 1 + rows.length + 4];
        if (flags != 0) {
            out[0] = (byte) flags;
        }
        System.arraycopy(name, 0, out, prefix, name.length);
        System.arraycopy(rows, 0, out, prefix + name.length + 1, rows.length);
        CRC32 crc = new CRC32();
        crc.update(out, 0, out.length - 4);
        int v = (int) crc.getValue();
        int at = out.length - 4;
        out[at] = (byte) v;
        out[at + 1] = (byte) (v >>> 8);
        out[at + 2] = (byte) (v >>> 16);
        out[at + 3] = (byte) (v >>> 24);
        return out;
    }
}
