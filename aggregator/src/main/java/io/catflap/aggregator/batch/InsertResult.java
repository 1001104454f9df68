package io.catflap.aggregator.batch;

/**
 * The answer a sender gets for one request: 200 only when its rows are committed in ClickHouse, else
 * ClickHouse's status and error text (or the aggregator's own).
 *
 * @param status HTTP-like status
 * @param message empty on success, else the error text
 * @param code ClickHouse's error code, or -1 when the error is not ClickHouse's or has no code
 */
public record InsertResult(int status, String message, int code) {
    public static final InsertResult OK = new InsertResult(200, "");

    /** An answer without a ClickHouse error code. */
    public InsertResult(int status, String message) {
        this(status, message, -1);
    }

    public boolean ok() {
        return status == 200;
    }
}
