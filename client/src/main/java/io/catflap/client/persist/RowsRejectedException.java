package io.catflap.client.persist;

/**
 * Completes a {@link PersistSink} future when the destination refused the rows themselves (a data error such as a
 * syntax error or a type mismatch), so sending the same bytes again cannot succeed.
 *
 * <p>The sender then halves the batch until the rejected record is found alone, drops that record (WARN log line and
 * {@code catflap.client.persist.rejected_records}) and delivers the rest, as kittenhouse does. Any other failure is
 * treated as transient and retried forever.
 */
public final class RowsRejectedException extends RuntimeException {

    public RowsRejectedException(String message) {
        super(message);
    }
}
