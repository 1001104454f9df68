package io.catflap.protocol;

import java.util.Objects;

/**
 * One response frame: an HTTP-like status (200 = the request's rows are committed in ClickHouse) and a
 * message (ClickHouse's error text, or empty). Responses come one per request, in request order.
 */
public record ResponseFrame(int status, String message) {
    /** The success answer: 200 with an empty message. */
    public static final ResponseFrame OK = new ResponseFrame(200, "");

    /** @throws IllegalArgumentException if status is outside 100..599 */
    public ResponseFrame {
        if (!validStatus(status)) {
            throw new IllegalArgumentException("status must be in 100..599, got " + status);
        }
        Objects.requireNonNull(message, "message");
    }

    public boolean ok() {
        return status == 200;
    }

    static boolean validStatus(long status) {
        return status >= 100 && status <= 599;
    }

    @Override
    public String toString() {
        return "ResponseFrame(" + status + (message.isEmpty() ? "" : ", " + Texts.excerpt(message)) + ")";
    }
}
