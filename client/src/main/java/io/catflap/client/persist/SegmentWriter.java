package io.catflap.client.persist;

import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The open, growing segment of one table stream. Appends are serialized by the stream's lock; {@link #syncTo} may be
 * called by many appending threads at once and does group commit: one fsync covers every record written before it
 * started, so concurrent appenders under {@link FsyncPolicy#ALWAYS} share flushes.
 */
final class SegmentWriter {

    final long seq;
    final Path path;
    private final FileChannel ch;
    private final Timer fsyncs;
    private final long createdNanos = System.nanoTime();
    private final Object syncLock = new Object();
    /** Bytes of complete records (and the header): readers never look past it. */
    private volatile long committed;
    private long synced;
    private boolean sealed;
    private boolean hasRecords;

    private SegmentWriter(long seq, Path path, FileChannel ch, long committed, Timer fsyncs) {
        this.seq = seq;
        this.path = path;
        this.ch = ch;
        this.committed = committed;
        this.fsyncs = fsyncs;
    }

    /** Creates the file (it must not exist) and writes the header. */
    static SegmentWriter create(long seq, Path path, String table, boolean rowBinary, Timer fsyncs)
            throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            ByteBuffer header = SegmentFormat.encodeHeader(table, rowBinary);
            writeFully(ch, new ByteBuffer[] {header});
            return new SegmentWriter(seq, path, ch, ch.position(), fsyncs);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Appends records in one gathering write and returns the committed size after them; if it fails, none of them
     * is committed. The caller holds the stream's lock.
     */
    long append(List<byte[]> records) throws IOException {
        ByteBuffer[] buffers = new ByteBuffer[2 * records.size()];
        for (int i = 0; i < records.size(); i++) {
            byte[] rows = records.get(i);
            buffers[2 * i] = SegmentFormat.encodeRecordHeader(rows);
            buffers[2 * i + 1] = ByteBuffer.wrap(rows);
        }
        writeFully(ch, buffers);
        hasRecords = true;
        committed = ch.position();
        return committed;
    }

    private static void writeFully(FileChannel ch, ByteBuffer[] buffers) throws IOException {
        while (buffers[buffers.length - 1].hasRemaining()) {
            ch.write(buffers);
        }
    }

    long committed() {
        return committed;
    }

    boolean hasRecords() {
        return hasRecords;
    }

    long ageNanos() {
        return System.nanoTime() - createdNanos;
    }

    /** Returns once every byte up to {@code position} is on stable storage. */
    void syncTo(long position) throws IOException {
        synchronized (syncLock) {
            if (synced >= position) {
                return; // another appender's fsync, or the seal, covered it
            }
            long upTo = committed;
            force();
            synced = upTo;
        }
    }

    private void force() throws IOException {
        long start = System.nanoTime();
        ch.force(false);
        fsyncs.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }

    /** Stops appends for good: optionally fsyncs, then closes the file. Idempotent. */
    void seal(boolean sync) throws IOException {
        synchronized (syncLock) {
            if (sealed) {
                return;
            }
            sealed = true;
            try {
                if (sync) {
                    force();
                }
                synced = Long.MAX_VALUE; // nothing more will be written; waiting appenders must not touch ch
            } finally {
                ch.close();
            }
        }
    }
}
