package io.catflap.client.persist;

import io.catflap.client.buffer.Batches;
import io.catflap.protocol.Kitten;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one stream, in order, one batch at a time: read from the acknowledged position, durably record the batch's
 * range as in flight, send it, and only after the sink's success store the new position. A failed batch is kept and
 * sent again after an exponential backoff. A crash between the destination's commit and the stored position repeats
 * the batch — after the restart exactly the recorded range, under the same idempotency key (derived from the stream's
 * random id and the range), so a destination that remembers keys does not insert it twice. A batch that the
 * destination rejects as bad data is halved until the bad record is alone, which is then dropped.
 */
final class StreamSender {

    private static final Logger log = LoggerFactory.getLogger(StreamSender.class);
    private static final long INITIAL_BACKOFF_MILLIS = 100;
    /** Low enough that delivery resumes within seconds of a destination's return; a retry costs one request. */
    private static final long MAX_BACKOFF_MILLIS = 5_000;
    private static final long IDLE_POLL_MILLIS = 1_000;
    /**
     * After a batch that was not full, the pause before the next: rows that arrive meanwhile go out together, one
     * insert a second per table (as the memory buffers' period) rather than one per round trip to the destination.
     * They are on disk already, so only their arrival in ClickHouse waits. A full batch goes out at once.
     */
    static final long SEND_PERIOD_MILLIS = 1_000;
    /** Safety net for a sink that never answers; the batch is then sent again. */
    private static final long SEND_TIMEOUT_MILLIS = TimeUnit.MINUTES.toMillis(5);
    private static final long ANSWER_POLL_MILLIS = 100;
    private static final int REJECTED_PREVIEW_BYTES = 200;

    private final TableStream stream;
    private final PersistSink sink;
    private final int maxSendSize;
    private final BatchReader reader;
    private final Thread thread;
    private final Object signal = new Object();
    /** An append came since the sender last waited idle; read outside the lock so that appends rarely take it. */
    private volatile boolean woken;
    private volatile boolean stopping;
    /** Set when the stop grace is over: a batch still waiting for its answer is given up. */
    private volatile boolean abandon;
    /** While narrowing down a rejected batch: its end, and how many records to send at once until past it. */
    private Position probeUntil;
    private int probeRecords = Integer.MAX_VALUE;

    StreamSender(TableStream stream, PersistSink sink, int maxSendSize) {
        this.stream = stream;
        this.sink = sink;
        this.maxSendSize = maxSendSize;
        this.reader = new BatchReader(stream);
        this.thread = new Thread(this::run, "catflap-persist-sender-" + stream.dir.getFileName());
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /**
     * Called after every append: an idle sender looks at the stream at once. Only the first append since the sender
     * last waited idle signals it; the appends after it are read with it (a sender that is sending or pausing reads
     * the stream again anyway), so a busy table costs no thread wake-up per append.
     */
    void wake() {
        if (!woken) {
            synchronized (signal) {
                woken = true;
                signal.notifyAll();
            }
        }
    }

    /** Asks the sender to stop after the current step (a batch in flight may still complete and be acknowledged). */
    void requestStop() {
        stopping = true;
        synchronized (signal) {
            signal.notifyAll();   // out of an idle wait, a pause or a backoff
        }
    }

    /**
     * Waits for the sender to stop; a batch still in flight after {@code graceMillis} is abandoned (it is sent again
     * after a restart).
     */
    void awaitStop(long graceMillis) throws InterruptedException {
        thread.join(graceMillis);
        abandon = true;
        thread.join(TimeUnit.SECONDS.toMillis(10));
    }

    private void run() {
        long backoff = INITIAL_BACKOFF_MILLIS;
        int failures = 0;
        BatchReader.Batch pending = null;
        while (!stopping) {
            try {
                if (pending == null) {
                    pending = next();
                }
                boolean partial = !pending.full() && !pending.finished() && probeUntil == null;
                if (pending.isEmpty()) {
                    idle(pending);
                } else {
                    deliver(pending);
                    if (partial) {
                        sleep(SEND_PERIOD_MILLIS);
                    }
                }
                pending = null;
                if (failures > 0) {
                    log.info("Delivering {} again after {} failed attempts", stream.table, failures);
                }
                failures = 0;
                backoff = INITIAL_BACKOFF_MILLIS;
            } catch (RowsRejectedException e) {
                pending = rejected(pending, e);
            } catch (Exception e) {
                if (stopping) {
                    break;
                }
                stream.metrics.sendErrors.increment();
                if (Integer.bitCount(++failures) == 1) { // 1st, 2nd, 4th, 8th...: a long outage logs little
                    log.warn("Could not deliver {} from {} ({} failed attempts, next in {} ms): {}",
                            stream.table, stream.acked(), failures, backoff, e.toString());
                }
                sleep(backoff + ThreadLocalRandom.current().nextLong(backoff / 4 + 1));
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            }
        }
        try {
            reader.close();
        } catch (IOException e) {
            log.debug("closing reader", e);
        }
    }

    /** The batch that was in flight when the daemon stopped, exactly as it was; else the next one. */
    private BatchReader.Batch next() throws IOException {
        // while narrowing down a rejected batch, the smaller batches are new ranges
        Position inFlight = probeUntil == null ? stream.inFlight() : null;
        return reader.read(stream.acked(), maxSendSize, probeRecords, inFlight);
    }

    private void idle(BatchReader.Batch batch) throws IOException {
        if (batch.finished() || !batch.end().equals(stream.acked())) {
            commit(batch); // only skipped corrupt bytes, or the end of a sealed segment
            return;
        }
        stream.rotateIfDue();
        synchronized (signal) {
            if (!woken && !stopping) {
                try {
                    signal.wait(IDLE_POLL_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopping = true;
                }
            }
            woken = false;
        }
    }

    private void deliver(BatchReader.Batch batch) throws Exception {
        if (!batch.end().equals(stream.inFlight())) {
            stream.sending(batch.end());
        }
        CompletableFuture<Void> f = sink.send(stream.table, stream.rowBinary,
                Batches.join(batch.records(), stream.rowBinary), key(batch));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SEND_TIMEOUT_MILLIS);
        while (true) {
            try {
                f.get(ANSWER_POLL_MILLIS, TimeUnit.MILLISECONDS);
                break;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RowsRejectedException r) {
                    throw r;
                }
                throw e.getCause() instanceof Exception c ? c : e;
            } catch (TimeoutException e) {
                if (abandon || System.nanoTime() > deadline) {
                    f.cancel(false);
                    throw abandon ? new CancellationException("stopping") : e;
                }
            }
        }
        stream.metrics.sentRecords.increment(batch.records().size());
        stream.metrics.sentBytes.increment(batch.bytes());
        commit(batch);
    }

    private void commit(BatchReader.Batch batch) throws IOException {
        if (batch.finished()) {
            reader.close();
            stream.retire(batch.end().segment());
        } else {
            stream.acknowledge(batch.end());
        }
        if (probeUntil != null && !stream.acked().isBefore(probeUntil)) {
            probeUntil = null;
            probeRecords = Integer.MAX_VALUE;
        }
    }

    /** Narrows a rejected batch down; returns the batch still to send, or null to read again. */
    private BatchReader.Batch rejected(BatchReader.Batch batch, RowsRejectedException e) {
        int n = batch.records().size();
        if (n > 1) {
            probeUntil = probeUntil == null ? batch.end() : probeUntil;
            probeRecords = n / 2;
            return null;
        }
        byte[] rows = batch.records().get(0);
        log.warn("Dropping a record of {} ({} bytes) that the destination rejected: {}; rows: {}", stream.table,
                rows.length, e.getMessage(), stream.rowBinary ? "(RowBinary)" : preview(rows));
        stream.metrics.rejectedRecords.increment();
        stream.metrics.rejectedBytes.increment(rows.length);
        try {
            commit(batch);
            return null;
        } catch (IOException io) {
            log.warn("Could not store the position of {}: {}", stream.table, io.toString());
            sleep(INITIAL_BACKOFF_MILLIS);
            return batch;
        }
    }

    /** The batch's idempotency key: SHA-256 of the stream id and the batch's range, cut to 16 bytes. */
    private byte[] key(BatchReader.Batch batch) {
        ByteBuffer id = ByteBuffer.allocate(AckStore.STREAM_ID_BYTES + 32).put(stream.streamId())
                .putLong(batch.start().segment()).putLong(batch.start().offset())
                .putLong(batch.end().segment()).putLong(batch.end().offset());
        try {
            return Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(id.array()), Kitten.IDEMPOTENCY_KEY_BYTES);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static String preview(byte[] rows) {
        return new String(rows, 0, Math.min(rows.length, REJECTED_PREVIEW_BYTES), StandardCharsets.UTF_8);
    }

    private void sleep(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (signal) {
            long left;
            while (!stopping && (left = deadline - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(signal, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopping = true;
                }
            }
        }
    }
}
