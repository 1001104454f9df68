package io.catflap.client.persist;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the next batch of a stream from a position: intact records of one segment, up to a byte and record budget.
 * Torn or corrupt spans on the way are skipped, logged and counted, never stop the stream.
 */
final class BatchReader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BatchReader.class);

    /**
     * @param start    the position it was read from
     * @param records  the rows of each record, in order
     * @param bytes    their total size
     * @param end      the position right after the last record (or after a skipped span)
     * @param finished true if {@code end} is the end of a sealed segment, which can then be retired
     * @param full     true if the budget ended it rather than the records written so far
     */
    record Batch(Position start, List<byte[]> records, long bytes, Position end, boolean finished, boolean full) {
        boolean isEmpty() {
            return records.isEmpty();
        }
    }

    private final TableStream stream;
    private SegmentReader reader;
    private long readerSeq = -1;

    BatchReader(TableStream stream) {
        this.stream = stream;
    }

    /** The next batch from {@code from}, or an empty batch ending at {@code from} if nothing is readable yet. */
    Batch read(Position from, int maxBytes, int maxRecords) throws IOException {
        return read(from, maxBytes, maxRecords, null);
    }

    /**
     * As {@link #read(Position, int, int)}, but when {@code end} (nullable) is in the segment read from: exactly the
     * batch up to {@code end}, whatever the budget. That is the batch read from {@code from} before, as a batch never
     * spans segments and the records of a segment do not change.
     */
    Batch read(Position from, int maxBytes, int maxRecords, Position end) throws IOException {
        TableStream.Segment seg = stream.segmentFrom(from.segment());
        if (seg == null) {
            return new Batch(from, List.of(), 0, from, false, false);
        }
        long endOffset = Long.MAX_VALUE;
        if (end != null && end.segment() == seg.seq()) {
            endOffset = end.offset();
            maxBytes = Integer.MAX_VALUE;
            maxRecords = Integer.MAX_VALUE;
        }
        long off = seg.seq() == from.segment() ? from.offset() : 0;
        SegmentReader r;
        try {
            r = readerFor(seg);
        } catch (NoSuchFileException e) {
            log.warn("Segment {} of {} disappeared (deleted by hand?); its undelivered rows are lost",
                    seg.path(), stream.table);
            return new Batch(from, List.of(), 0, new Position(seg.seq(), seg.limit()), true, false);
        }
        if (off == 0) {
            SegmentFormat.Header header = r.header();
            if (header != null) {
                off = header.length(); // a corrupt header is skipped below like any corrupt span
            }
        }
        List<byte[]> records = new ArrayList<>();
        long bytes = 0;
        boolean full = false;
        while (off < endOffset) {
            if (records.size() >= maxRecords || bytes >= maxBytes) {
                full = true;
                break;
            }
            SegmentReader.Next next = r.next(off, seg.limit());
            long skippedTo = next == null ? seg.limit() : next.start();
            if (skippedTo > off) {
                corrupt(seg, off, skippedTo - off);
                off = skippedTo;
            }
            if (next == null) {
                break;
            }
            if (!records.isEmpty() && bytes + next.rows().length > maxBytes) {
                full = true;   // the next record waits for the next batch
                break;
            }
            records.add(next.rows());
            bytes += next.rows().length;
            off = next.end();
        }
        boolean finished = seg.sealed() && off >= seg.limit();
        return new Batch(from, records, bytes, new Position(seg.seq(), off), finished, full);
    }

    private void corrupt(TableStream.Segment seg, long offset, long length) {
        log.warn("Skipping {} bytes of torn or corrupt data at offset {} of {} ({})",
                length, offset, seg.path(), stream.table);
        stream.metrics.corruptRecords.increment();
        stream.metrics.corruptBytes.increment(length);
    }

    private SegmentReader readerFor(TableStream.Segment seg) throws IOException {
        if (readerSeq != seg.seq()) {
            close();
            reader = new SegmentReader(seg.path());
            readerSeq = seg.seq();
        }
        return reader;
    }

    /** Closes the open file (before the segment is retired, and when the sender stops). */
    @Override
    public void close() throws IOException {
        if (reader != null) {
            reader.close();
            reader = null;
            readerSeq = -1;
        }
    }
}
