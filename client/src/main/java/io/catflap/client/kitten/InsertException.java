package io.catflap.client.kitten;

import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The destination answered an insert with a status other than 200: the rows are not committed. The message is the
 * server's text (ClickHouse's error for a failed insert).
 */
public final class InsertException extends RuntimeException {
    private static final Pattern CODE = Pattern.compile("^Code: (\\d+)[.,]");
    /** ClickHouse error codes that mean the rows themselves are bad: sending the same bytes again fails again. */
    private static final Set<Integer> DATA_ERRORS = Set.of(
            6,   // CANNOT_PARSE_TEXT
            16,  // NO_SUCH_COLUMN_IN_TABLE
            26,  // CANNOT_PARSE_QUOTED_STRING
            27,  // CANNOT_PARSE_INPUT_ASSERTION_FAILED
            33,  // CANNOT_READ_ALL_DATA
            38,  // CANNOT_PARSE_DATE
            41,  // CANNOT_PARSE_DATETIME
            53,  // TYPE_MISMATCH
            62,  // SYNTAX_ERROR
            69,  // ARGUMENT_OUT_OF_BOUND
            72,  // CANNOT_PARSE_NUMBER
            117  // INCORRECT_DATA
    );

    private final int status;
    private final String serverMessage;

    public InsertException(int status, String serverMessage) {
        super("HTTP code " + status + ": " + serverMessage);
        this.status = status;
        this.serverMessage = serverMessage;
    }

    public int status() {
        return status;
    }

    public String serverMessage() {
        return serverMessage;
    }

    /** ClickHouse's error code parsed from the message ({@code Code: N,} or {@code Code: N.}), or -1. */
    public int clickHouseCode() {
        Matcher m = CODE.matcher(serverMessage);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /**
     * True when retrying the same rows cannot succeed: a malformed request (400, 413) or a ClickHouse data error.
     * Everything else (unknown table — maybe a Buffer table being recreated —, too many parts, memory limit,
     * overload, auth) is worth retrying later.
     */
    public boolean rowsRejected() {
        return status == 400 || status == 413 || DATA_ERRORS.contains(clickHouseCode());
    }
}
