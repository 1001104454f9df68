package io.catflap.aggregator.upstream;

import io.catflap.aggregator.batch.InsertResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the upstream said to one request: its HTTP status and body, or a failure to get an answer at all
 * (status 0: connection refused or reset, timeout).
 *
 * @param status HTTP status, 0 when no response arrived
 * @param code   ClickHouse error code parsed from the body, -1 when there is none
 * @param message response body (error text), trimmed and cut to a bounded length
 * @param maybeCommitted no answer came although the whole request had been sent: ClickHouse may have committed it
 */
public record UpstreamReply(int status, int code, String message, boolean maybeCommitted) {
    /** What the senders of an insert whose outcome is unknown are told, before the reason. */
    public static final String OUTCOME_UNKNOWN = "outcome unknown: the insert may or may not have been committed: ";

    private static final Pattern CODE = Pattern.compile("^Code: (\\d+)[.,]");

    /** A reply from the server; the error code is parsed from the body (old and new spellings). */
    public static UpstreamReply of(int status, String body) {
        String text = body.strip();
        Matcher m = CODE.matcher(text);
        int code = -1;
        if (m.find()) {
            try {
                code = Integer.parseInt(m.group(1));
            } catch (NumberFormatException ignored) {
                // absurdly long digit run: not a ClickHouse code
            }
        }
        return new UpstreamReply(status, code, text, false);
    }

    /** No reply, and the request was not sent whole: the connection failed or timed out before. */
    public static UpstreamReply failed(String why) {
        return new UpstreamReply(0, -1, why, false);
    }

    /** No reply to a request that was sent whole: the connection failed or timed out while the answer was awaited. */
    public static UpstreamReply unanswered(String why) {
        return new UpstreamReply(0, -1, why, true);
    }

    public boolean ok() {
        return status / 100 == 2;
    }

    /**
     * The answer for the senders: ClickHouse's text and code with the status {@link ErrorPolicy} gives it, 503
     * when ClickHouse could not be reached, or 504 when the outcome is unknown (a sender that sends again may
     * insert the rows twice).
     */
    public InsertResult toResult() {
        if (ok()) {
            return InsertResult.OK;
        }
        if (maybeCommitted) {
            return new InsertResult(504, OUTCOME_UNKNOWN + message);
        }
        if (status == 0) {
            return new InsertResult(503, "ClickHouse unavailable: " + message);
        }
        return new InsertResult(ErrorPolicy.status(this), message, code);
    }
}
