package io.catflap.aggregator.batch;

/**
 * The answer a sender gets for one request: 200 only when its rows are committed in ClickHouse, else
 * ClickHouse's status and error text (or the aggregator's own).
 *
 * @param status HTTP-like status
 * @param message empty on success, else the error text
 */
public record InsertResult(int status, String message) {
    public static final InsertResult OK = new InsertResult(200, "");

    public boolean ok() {
        return status == 200;
    }
}
