package io.catflap.client.persist;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's on-disk buffer ({@code &persistent=1}): rows are appended to per-table segment files and delivered
 * by one sender per (table, format) stream, which resumes from the last acknowledged position after a crash or
 * restart; the batch in flight at a crash is sent again exactly, under the same idempotency key (exactly-once
 * where the destination honours keys, at-least-once elsewhere).
 *
 * <p>Layout under {@code dir}: {@code run.lock} (one process per directory), and per stream a directory
 * {@code <table>-<hash>} holding numbered segments ({@code 00000000000000000001.seg}, format in
 * {@code SegmentFormat}) and the delivery state ({@code acked}, see {@code AckStore}). A segment is sealed when
 * it reaches {@link PersistOptions#maxFileSize()} or gets {@link PersistOptions#rotateInterval()} old; once fully
 * delivered it is deleted, or renamed to {@code *.seg.done} with {@link PersistOptions#markAsDone()}. After a
 * restart, appends always go to a new segment, so a torn record can only be at the end of a sealed one.
 *
 * <p>What an acknowledged {@link #append} survives depends on {@link PersistOptions#fsync()}; see {@link FsyncPolicy}.
 */
public final class PersistentLog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PersistentLog.class);
    private static final String LOCK_FILE = "run.lock";
    /** How long {@link #close} lets batches in flight finish before abandoning them. */
    private static final long STOP_GRACE_MILLIS = 5_000;

    private record Key(String table, boolean rowBinary) {
    }

    private final Path dir;
    private final PersistOptions options;
    private final MeterRegistry registry;
    private final FileChannel lockChannel;
    private final Map<Key, TableStream> streams = new ConcurrentHashMap<>();
    private final List<StreamSender> senders = new ArrayList<>();
    private final ScheduledExecutorService fsyncTimer;
    private PersistSink sink;
    private boolean closed;

    /**
     * Opens (or creates) the log in {@code dir} and recovers the streams found there; nothing is sent before
     * {@link #startSender}.
     *
     * @throws IOException if the directory is unusable or another process holds it
     */
    public PersistentLog(Path dir, PersistOptions options, MeterRegistry registry) throws IOException {
        this.dir = dir;
        this.options = options;
        this.registry = registry;
        Files.createDirectories(dir);
        this.lockChannel = lock(dir.resolve(LOCK_FILE));
        try {
            recover();
        } catch (IOException | RuntimeException e) {
            streams.values().forEach(TableStream::close);
            lockChannel.close();
            throw e;
        }
        if (options.fsync() == FsyncPolicy.INTERVAL) {
            long period = options.fsyncInterval().toNanos();
            fsyncTimer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "catflap-persist-fsync");
                t.setDaemon(true);
                return t;
            });
            fsyncTimer.scheduleWithFixedDelay(this::syncAll, period, period, TimeUnit.NANOSECONDS);
        } else {
            fsyncTimer = null;
        }
    }

    private static FileChannel lock(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock = ch.tryLock();
            if (lock != null) {
                return ch;
            }
        } catch (OverlappingFileLockException e) {
            // held by this very JVM
        }
        ch.close();
        throw new IOException("another catflap client is already using " + file.getParent());
    }

    private void recover() throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path streamDir : entries) {
                SegmentFormat.Header h = TableStream.identify(streamDir);
                if (h == null) {
                    if (!TableStream.listSegments(streamDir).isEmpty()) {
                        log.warn("Ignoring {}: none of its segments has a readable header", streamDir);
                    }
                    continue;
                }
                Key key = new Key(h.table(), h.rowBinary());
                TableStream s = new TableStream(streamDir, h.table(), h.rowBinary(), options, registry);
                streams.put(key, s);
                log.info("Recovered {} ({} bytes not yet delivered, from {})", h.table(), (long) s.backlogBytes(),
                        s.acked());
            }
        }
    }

    /**
     * Stores one record of rows for {@code table}; returns once it is as durable as the fsync policy promises (and
     * always at least in the page cache, so a process crash loses nothing returned from here).
     *
     * @param rows VALUES tuples ({@code (1,'a'),(2,'b')}) or RowBinary rows; empty rows are ignored
     */
    public void append(String table, boolean rowBinary, byte[] rows) throws IOException {
        if (rows.length == 0) {
            return;
        }
        stream(new Key(table, rowBinary)).append(List.of(rows));
    }

    /**
     * As {@link #append}, but written on one of {@code writers}: the returned future completes once the record is
     * as durable as the fsync policy promises. Records of a table that queue up while one is written go together in
     * the next write (see {@link AppendQueue}).
     */
    public CompletableFuture<Void> appendAsync(String table, boolean rowBinary, byte[] rows, Executor writers) {
        if (rows.length == 0) {
            return CompletableFuture.completedFuture(null);
        }
        try {
            return stream(new Key(table, rowBinary)).appends.submit(rows, writers);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private TableStream stream(Key key) throws IOException {
        TableStream s = streams.get(key);
        if (s != null) {
            return s;
        }
        synchronized (this) {
            if (closed) {
                throw new IOException("persistent log is closed");
            }
            s = streams.get(key);
            if (s == null) {
                s = new TableStream(dir.resolve(TableStream.dirName(key.table(), key.rowBinary())),
                        key.table(), key.rowBinary(), options, registry);
                streams.put(key, s);
                if (sink != null) {
                    startSender(s);
                }
            }
            return s;
        }
    }

    /**
     * Starts delivering every stream, existing and future, to {@code sink}: one sender thread per stream, replaying
     * from its last acknowledged position. May be called once.
     */
    public synchronized void startSender(PersistSink sink) {
        if (this.sink != null) {
            throw new IllegalStateException("sender already started");
        }
        if (closed) {
            throw new IllegalStateException("persistent log is closed");
        }
        this.sink = sink;
        streams.values().forEach(this::startSender);
    }

    private void startSender(TableStream s) {
        StreamSender sender = new StreamSender(s, sink, options.maxSendSize());
        senders.add(sender);
        s.onAppend(sender::wake);
        sender.start();
    }

    private void syncAll() {
        for (TableStream s : streams.values()) {
            try {
                s.syncActive();
            } catch (IOException e) {
                log.warn("Could not fsync {}: {}", s.dir, e.toString());
            }
        }
    }

    /**
     * Stops the senders (batches in flight get a few seconds to be acknowledged, else they are sent again next time),
     * seals open segments and releases the lock.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        senders.forEach(StreamSender::requestStop);
        long graceEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_GRACE_MILLIS);
        for (StreamSender s : senders) {
            try {
                s.awaitStop(Math.max(1, TimeUnit.NANOSECONDS.toMillis(graceEnd - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (fsyncTimer != null) {
            fsyncTimer.shutdown(); // no interrupt: it would close the file under a running fsync
            try {
                fsyncTimer.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        streams.values().forEach(TableStream::close);
        try {
            lockChannel.close();
        } catch (IOException e) {
            log.warn("Could not release {}: {}", dir.resolve(LOCK_FILE), e.toString());
        }
    }
}
