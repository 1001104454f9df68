package io.catflap.client.persist;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The on-disk layout of a segment file (all integers big-endian):
 * <pre>
 * header: u32 magic "CFPS" | u8 version (1) | u8 flags (bit 0: RowBinary) | u16 table length | table (UTF-8)
 *         | u32 CRC32C of the preceding header bytes
 * record: u32 magic "CFPR" | u32 rows length | u32 CRC32C of (length field + rows) | rows
 * </pre>
 * Records are appended and never rewritten. The per-record magic lets a reader find the next intact record after
 * a corrupt one: a candidate counts only if its checksum also matches.
 */
final class SegmentFormat {

    static final int SEGMENT_MAGIC = 0x43465053; // "CFPS"
    static final int RECORD_MAGIC = 0x43465052;  // "CFPR"
    static final int VERSION = 1;
    static final int FLAG_ROW_BINARY = 0x01;
    static final int RECORD_HEADER_BYTES = 12;
    static final int MAX_TABLE_BYTES = 0xFFFF;
    private static final int FIXED_HEADER_BYTES = 8;

    private SegmentFormat() {
    }

    /** A decoded segment header; {@code length} is where the first record starts. */
    record Header(String table, boolean rowBinary, int length) {
    }

    static ByteBuffer encodeHeader(String table, boolean rowBinary) {
        byte[] name = table.getBytes(StandardCharsets.UTF_8);
        if (name.length > MAX_TABLE_BYTES) {
            throw new IllegalArgumentException("table name longer than " + MAX_TABLE_BYTES + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate(FIXED_HEADER_BYTES + name.length + 4);
        b.putInt(SEGMENT_MAGIC).put((byte) VERSION).put((byte) (rowBinary ? FLAG_ROW_BINARY : 0))
                .putShort((short) name.length).put(name);
        b.putInt(crc(b.array(), 0, b.position()));
        return b.flip();
    }

    /** Reads the header at offset 0; null if it is missing, torn or corrupt. */
    static Header readHeader(FileChannel ch) throws IOException {
        ByteBuffer fixed = ByteBuffer.allocate(FIXED_HEADER_BYTES);
        if (!readFully(ch, fixed, 0) || fixed.getInt(0) != SEGMENT_MAGIC || fixed.get(4) != VERSION) {
            return null;
        }
        int tableLength = Short.toUnsignedInt(fixed.getShort(6));
        ByteBuffer all = ByteBuffer.allocate(FIXED_HEADER_BYTES + tableLength + 4);
        if (!readFully(ch, all, 0)) {
            return null;
        }
        byte[] a = all.array();
        if (all.getInt(a.length - 4) != crc(a, 0, a.length - 4)) {
            return null;
        }
        String table = new String(a, FIXED_HEADER_BYTES, tableLength, StandardCharsets.UTF_8);
        return new Header(table, (a[5] & FLAG_ROW_BINARY) != 0, a.length);
    }

    static ByteBuffer encodeRecordHeader(byte[] rows) {
        ByteBuffer b = ByteBuffer.allocate(RECORD_HEADER_BYTES);
        b.putInt(RECORD_MAGIC).putInt(rows.length).putInt(recordCrc(rows.length, rows));
        return b.flip();
    }

    static int recordCrc(int length, byte[] rows) {
        CRC32C c = new CRC32C();
        c.update(ByteBuffer.allocate(4).putInt(0, length));
        c.update(rows, 0, rows.length);
        return (int) c.getValue();
    }

    private static int crc(byte[] a, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(a, off, len);
        return (int) c.getValue();
    }

    /** Fills {@code b} from {@code position}; false if the file ends first. */
    static boolean readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, p);
            if (n < 0) {
                return false;
            }
            p += n;
        }
        return true;
    }
}
