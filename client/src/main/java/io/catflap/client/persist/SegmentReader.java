package io.catflap.client.persist;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads the records of one segment file through a small window, skipping over anything that is not an intact
 * record (a torn tail left by a crash, flipped bits): it resumes at the next record whose magic and checksum match.
 */
final class SegmentReader implements Closeable {

    private static final int WINDOW_BYTES = 64 << 10;

    /** One intact record: its rows and where it starts and ends in the file. */
    record Next(byte[] rows, long start, long end) {
    }

    private final FileChannel ch;
    private final ByteBuffer window = ByteBuffer.allocate(WINDOW_BYTES);
    private final byte[] recordHeader = new byte[SegmentFormat.RECORD_HEADER_BYTES];
    private long windowStart;
    private int windowLength;
    /** Bytes at or past it may still be being written: they never enter the window. */
    private long limit;

    SegmentReader(Path path) throws IOException {
        this.ch = FileChannel.open(path, StandardOpenOption.READ);
    }

    /** The segment header, or null if it is torn or corrupt. */
    SegmentFormat.Header header() throws IOException {
        return SegmentFormat.readHeader(ch);
    }

    /**
     * The first intact record that starts at or after {@code from} and ends at or before {@code limit}, or null if
     * there is none. Bytes between {@code from} and the record's start (or {@code limit}) are not valid records.
     */
    Next next(long from, long limit) throws IOException {
        if (limit < this.limit) {
            windowLength = 0; // a shorter view of the file than before: forget what lies past it
        }
        this.limit = limit;
        long p = from;
        while (p + SegmentFormat.RECORD_HEADER_BYTES <= limit) {
            byte[] rows = recordAt(p);
            if (rows != null) {
                return new Next(rows, p, p + SegmentFormat.RECORD_HEADER_BYTES + rows.length);
            }
            p = nextMagic(p + 1);
        }
        return null;
    }

    private byte[] recordAt(long p) throws IOException {
        if (!read(p, recordHeader, SegmentFormat.RECORD_HEADER_BYTES)) {
            return null;
        }
        ByteBuffer h = ByteBuffer.wrap(recordHeader);
        int length = h.getInt(4);
        if (h.getInt(0) != SegmentFormat.RECORD_MAGIC || length < 0
                || p + SegmentFormat.RECORD_HEADER_BYTES + length > limit) {
            return null;
        }
        byte[] rows = new byte[length];
        if (!read(p + SegmentFormat.RECORD_HEADER_BYTES, rows, length)
                || SegmentFormat.recordCrc(length, rows) != h.getInt(8)) {
            return null;
        }
        return rows;
    }

    /** The offset of the next record magic at or after {@code from}, or {@code limit}. */
    private long nextMagic(long from) throws IOException {
        long p = from;
        while (p + 4 <= limit) {
            if (!inWindow(p, 4) && (!fill(p) || !inWindow(p, 4))) {
                return limit;
            }
            int end = windowLength - 4;
            for (int i = (int) (p - windowStart); i <= end; i++) {
                if (window.getInt(i) == SegmentFormat.RECORD_MAGIC) {
                    return windowStart + i;
                }
            }
            p = windowStart + end + 1;
        }
        return limit;
    }

    /** Copies {@code n} bytes at {@code p} into {@code dst}; false if the file ends first. */
    private boolean read(long p, byte[] dst, int n) throws IOException {
        if (p + n > limit) {
            return false;
        }
        if (n > WINDOW_BYTES) {
            return SegmentFormat.readFully(ch, ByteBuffer.wrap(dst, 0, n), p);
        }
        if (!inWindow(p, n) && (!fill(p) || !inWindow(p, n))) {
            return false;
        }
        window.get((int) (p - windowStart), dst, 0, n);
        return true;
    }

    private boolean inWindow(long p, int n) {
        return p >= windowStart && p + n <= windowStart + windowLength;
    }

    /** Loads the window from {@code p} up to the limit; false if there is nothing there. */
    private boolean fill(long p) throws IOException {
        window.clear().limit((int) Math.min(WINDOW_BYTES, Math.max(0, limit - p)));
        while (window.hasRemaining()) {
            if (ch.read(window, p + window.position()) <= 0) {
                break;
            }
        }
        windowStart = p;
        windowLength = window.position();
        return windowLength > 0;
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
