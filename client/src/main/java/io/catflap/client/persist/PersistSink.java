package io.catflap.client.persist;

import java.util.concurrent.CompletableFuture;

/**
 * Where the persistent log's sender delivers its batches (the daemon routes them to an aggregator or ClickHouse).
 *
 * <p>The returned future completes normally only when the destination has committed the rows; only then does the
 * sender advance the acknowledged offset. Any other completion makes the sender retry the same batch with
 * exponential backoff, except {@link RowsRejectedException}, which marks the rows themselves as bad (see there).
 * The sink must not keep {@code body} after the future completes; it may assume the array is not modified meanwhile.
 *
 * <p>Each batch comes with an idempotency key that is the same whenever the same records are sent again, also after a
 * crash of the daemon: a destination that honours it (a catflap aggregator's dedup window) inserts them only once.
 */
@FunctionalInterface
public interface PersistSink {

    /**
     * Sends one batch.
     *
     * @param table     the table exactly as appended, e.g. {@code db.t(a,b,c)}
     * @param rowBinary true for RowBinary rows, false for VALUES tuples (records joined with commas)
     * @param body      the rows of one or more records, at most {@code maxSendSize} bytes unless a single record
     *                  is larger
     * @param idempotencyKey 16 bytes naming exactly these records of this stream
     */
    CompletableFuture<Void> send(String table, boolean rowBinary, byte[] body, byte[] idempotencyKey);
}
