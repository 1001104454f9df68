package io.catflap.client.persist;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk log of one (table, format): a directory of numbered segment files, at most one of them open for
 * appends, plus the acknowledged position. Appenders and the stream's single sender meet here; the lock guards the
 * segment list and the open segment, never a send.
 */
final class TableStream {

    private static final Logger log = LoggerFactory.getLogger(TableStream.class);
    static final String SEGMENT_SUFFIX = ".seg";
    static final String DONE_SUFFIX = ".done";
    private static final Pattern SEGMENT_NAME = Pattern.compile("\\d{20}\\" + SEGMENT_SUFFIX);
    private static final Pattern UNSAFE_NAME_CHARS = Pattern.compile("[^A-Za-z0-9._-]");

    /** A segment as the sender sees it: records end at or before {@code limit}; a sealed one never grows. */
    record Segment(long seq, Path path, long limit, boolean sealed) {
    }

    final String table;
    final boolean rowBinary;
    final Path dir;
    final StreamMetrics metrics;
    private final PersistOptions options;
    private final AckStore ackStore;
    private final ReentrantLock lock = new ReentrantLock();
    private final TreeMap<Long, Long> sealedSizes = new TreeMap<>();
    private SegmentWriter active;
    private long nextSeq;
    private boolean closed;
    private final byte[] streamId;
    private volatile Position acked;
    private volatile Position inFlight;
    private volatile Runnable appendListener = () -> { };
    /** Appends handed to a writer thread, grouped. */
    final AppendQueue appends = new AppendQueue(this);

    /**
     * Opens the stream stored in {@code dir}, which may not exist yet. Segments left behind that are already
     * acknowledged (a crash between storing the position and deleting the file) are retired now.
     */
    TableStream(Path dir, String table, boolean rowBinary, PersistOptions options, MeterRegistry registry)
            throws IOException {
        this.dir = dir;
        this.table = table;
        this.rowBinary = rowBinary;
        this.options = options;
        this.ackStore = new AckStore(dir);
        AckStore.State state = Files.isDirectory(dir) ? ackStore.load() : AckStore.State.fresh();
        this.streamId = state.streamId();
        this.acked = state.acked();
        this.inFlight = state.inFlight();
        long maxSeq = acked.segment();
        for (Map.Entry<Long, Path> e : listSegments(dir).entrySet()) {
            long seq = e.getKey();
            maxSeq = Math.max(maxSeq, seq);
            if (seq < acked.segment()) {
                retireFile(e.getValue());
            } else {
                sealedSizes.put(seq, Files.size(e.getValue()));
            }
        }
        this.nextSeq = maxSeq + 1;
        this.metrics = new StreamMetrics(registry, this);
    }

    /** The directory name of a stream: readable table prefix plus a hash of the exact table and format. */
    static String dirName(String table, boolean rowBinary) {
        int paren = table.indexOf('(');
        String base = UNSAFE_NAME_CHARS.matcher(paren < 0 ? table : table.substring(0, paren)).replaceAll("_");
        if (base.length() > 100) {
            base = base.substring(0, 100);
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(table.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) (rowBinary ? 1 : 0));
            return base + "-" + HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** The table and format recorded in the oldest readable segment header of {@code dir}, or null. */
    static SegmentFormat.Header identify(Path dir) throws IOException {
        for (Path segment : listSegments(dir).values()) {
            try (SegmentReader r = new SegmentReader(segment)) {
                SegmentFormat.Header h = r.header();
                if (h != null) {
                    return h;
                }
            }
        }
        return null;
    }

    static TreeMap<Long, Path> listSegments(Path dir) throws IOException {
        TreeMap<Long, Path> segments = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return segments;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (SEGMENT_NAME.matcher(name).matches()) {
                    segments.put(Long.parseLong(name.substring(0, 20)), f);
                }
            }
        }
        return segments;
    }

    private Path segmentPath(long seq) {
        return dir.resolve(String.format("%020d%s", seq, SEGMENT_SUFFIX));
    }

    void onAppend(Runnable listener) {
        this.appendListener = listener;
    }

    /**
     * Appends records, in order, in one write; returns once they are stored as the fsync policy promises. If it
     * fails, the segment is sealed before them and none of them is sent; after a restart, the ones the failed write
     * left whole are read again, so rows their senders were told had failed may arrive too (at least once).
     */
    void append(List<byte[]> records) throws IOException {
        SegmentWriter w;
        long end;
        lock.lock();
        try {
            if (closed) {
                throw new IOException("persistent log is closed");
            }
            if (active != null && (active.committed() >= options.maxFileSize() || rotationDue(active))) {
                sealActive();
            }
            if (active == null) {
                active = newSegment();
            }
            w = active;
            try {
                end = w.append(records);
            } catch (IOException e) {
                try {
                    sealActive(); // the file may end in a partial record: never append after it
                } catch (IOException sealing) {
                    e.addSuppressed(sealing);
                }
                throw e;
            }
        } finally {
            lock.unlock();
        }
        long bytes = 0;
        for (byte[] rows : records) {
            bytes += rows.length;
        }
        metrics.appendedRecords.increment(records.size());
        metrics.appendedBytes.increment(bytes);
        if (options.fsync() == FsyncPolicy.ALWAYS) {
            w.syncTo(end);
        }
        appendListener.run();
    }

    private boolean rotationDue(SegmentWriter w) {
        return w.ageNanos() >= options.rotateInterval().toNanos();
    }

    private SegmentWriter newSegment() throws IOException {
        boolean durable = options.fsync() != FsyncPolicy.NEVER;
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            if (durable) {
                AckStore.syncDirectory(dir.getParent());
            }
        }
        long seq = nextSeq++;
        SegmentWriter w = SegmentWriter.create(seq, segmentPath(seq), table, rowBinary, metrics.fsyncs);
        if (durable) {
            AckStore.syncDirectory(dir);
        }
        return w;
    }

    /** Caller holds the lock. */
    private void sealActive() throws IOException {
        SegmentWriter w = active;
        active = null;
        sealedSizes.put(w.seq, w.committed());
        w.seal(options.fsync() != FsyncPolicy.NEVER);
    }

    /** Seals the open segment if it holds records and is older than the rotation interval (called when idle). */
    void rotateIfDue() throws IOException {
        lock.lock();
        try {
            if (active != null && active.hasRecords() && rotationDue(active)) {
                sealActive();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The oldest segment numbered {@code seq} or later, or null. */
    Segment segmentFrom(long seq) {
        lock.lock();
        try {
            Map.Entry<Long, Long> e = sealedSizes.ceilingEntry(seq);
            if (e != null) {
                return new Segment(e.getKey(), segmentPath(e.getKey()), e.getValue(), true);
            }
            if (active != null && active.seq >= seq) {
                return new Segment(active.seq, active.path, active.committed(), false);
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    Position acked() {
        return acked;
    }

    /** Random, fixed for the life of the stream's state: part of every batch's idempotency key. */
    byte[] streamId() {
        return streamId.clone();
    }

    /** The end of the batch from {@link #acked()} that was sent and not yet answered (before a crash), or null. */
    Position inFlight() {
        return inFlight;
    }

    /**
     * Durably records, before it is sent, that the batch from {@link #acked()} to {@code end} is in flight: after a
     * crash exactly this batch, with the same idempotency key, is sent first. Only the stream's sender calls it.
     */
    void sending(Position end) throws IOException {
        ackStore.store(new AckStore.State(streamId, acked, end));
        inFlight = end;
    }

    /** Durably records that everything before {@code p} is delivered. Only the stream's sender calls it. */
    void acknowledge(Position p) throws IOException {
        ackStore.store(new AckStore.State(streamId, p, null));
        acked = p;
        inFlight = null;
    }

    /** Acknowledges the whole of sealed segment {@code seq}, then deletes it or marks it done. */
    void retire(long seq) throws IOException {
        acknowledge(new Position(seq + 1, 0));
        lock.lock();
        try {
            sealedSizes.remove(seq);
        } finally {
            lock.unlock();
        }
        retireFile(segmentPath(seq));
    }

    private void retireFile(Path segment) throws IOException {
        if (options.markAsDone() && Files.exists(segment)) {
            Files.move(segment, segment.resolveSibling(segment.getFileName() + DONE_SUFFIX),
                    StandardCopyOption.REPLACE_EXISTING);
        } else {
            Files.deleteIfExists(segment);
        }
    }

    /** Fsyncs the open segment (the {@link FsyncPolicy#INTERVAL} group commit). */
    void syncActive() throws IOException {
        SegmentWriter w;
        lock.lock();
        try {
            w = active;
        } finally {
            lock.unlock();
        }
        if (w != null) {
            w.syncTo(w.committed());
        }
    }

    /** Bytes on disk not yet acknowledged (headers included). */
    double backlogBytes() {
        lock.lock();
        try {
            Position a = acked;
            long bytes = 0;
            for (Map.Entry<Long, Long> e : sealedSizes.tailMap(a.segment(), true).entrySet()) {
                bytes += e.getValue();
            }
            if (active != null && active.seq >= a.segment()) {
                bytes += active.committed();
            }
            boolean ackedSegmentExists = sealedSizes.containsKey(a.segment())
                    || (active != null && active.seq == a.segment());
            return ackedSegmentExists ? Math.max(0, bytes - a.offset()) : bytes;
        } finally {
            lock.unlock();
        }
    }

    /** Seals the open segment; appends fail from now on. */
    void close() {
        lock.lock();
        try {
            closed = true;
            if (active != null) {
                sealActive();
            }
        } catch (IOException e) {
            log.warn("Could not seal the open segment of {}: {}", table, e.toString());
        } finally {
            lock.unlock();
            metrics.close();
        }
    }
}
