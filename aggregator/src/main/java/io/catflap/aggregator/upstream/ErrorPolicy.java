package io.catflap.aggregator.upstream;

import io.catflap.aggregator.batch.InsertResult;
import java.util.List;

/**
 * What a failed insert means for the requests in it, and the HTTP status each of them is answered with: one table
 * of ClickHouse error codes (and, where one code has two meanings, messages).
 *
 * <p>Sources. Codes and names: ClickHouse's {@code dbms/src/Common/ErrorCodes.cpp}. Statuses: what ClickHouse
 * 18.16 answers over HTTP, {@code exceptionCodeToHTTPStatus} and {@code trySendExceptionToClient} in
 * {@code dbms/programs/server/HTTPHandler.cpp} (checked against 18.16.1: 26 and 62 give 400, 27, 53 and 117 give
 * 500, 60 gives 404, 192 and 193 give 401); codes 18.16 does not have get what current ClickHouse answers
 * ({@code src/Server/HTTP/exceptionCodeToHTTPStatus.cpp}). Errors about the data get 400 whatever the code, as
 * current ClickHouse answers them: 18.16's 500 for 27, 53 and 117 makes clients retry rows that can never land.
 * The meanings of 252 (TOO_MANY_PARTS): MergeTreeData's "Too many parts (N). Merges are processing significantly
 * slower than inserts" ({@code parts_to_throw_insert}; checked on 18.16.1) and, on newer servers, its "Too many
 * inactive parts" (both pass once merges and cleanups caught up) and "... in all partitions in total"
 * ({@code max_parts_in_total}: a partition key that no wait cures); MergeTreeDataWriter's "Too many partitions for
 * single INSERT block (more than N)" ({@code max_partitions_per_insert_block}, 19.x on; 18.16 has no such limit).
 */
public final class ErrorPolicy {
    /** What to do with a reply. */
    public enum Action {
        /** Answer every request of the range with it. */
        ANSWER,
        /** Insert the same range again later. */
        RETRY,
        /** Insert each half of the range (by requests) on its own, to find the requests that hold bad rows. */
        SPLIT,
        /** Insert each half of the range by bytes on its own, until the halves are small enough. */
        SHRINK
    }

    /** What an error says about the insert that got it. */
    public enum Kind {
        /** Says nothing about the rows and goes away by itself: retried until the retry deadline. */
        TRANSIENT,
        /** About some of the rows: the batch is split until only the requests that hold them get it. */
        DATA,
        /** About the batch as a whole, too big in some way: split by size until it fits, then the sender's. */
        BATCH_SHAPE,
        /** Holds for every request of the key, however split or retried: answered at once. */
        FATAL
    }

    /** One row of the table: {@code code} (and {@code message} in the text, when not null) means {@code kind}. */
    private record Rule(int code, String message, Kind kind, int status) {
        boolean matches(int code, String text) {
            return code == this.code && (message == null || text.contains(message));
        }
    }

    private static final List<Rule> RULES = List.of(
            new Rule(3, null, Kind.TRANSIENT, 500), // UNEXPECTED_END_OF_FILE
            new Rule(159, null, Kind.TRANSIENT, 500), // TIMEOUT_EXCEEDED
            new Rule(202, null, Kind.TRANSIENT, 500), // TOO_MANY_SIMULTANEOUS_QUERIES
            new Rule(209, null, Kind.TRANSIENT, 503), // SOCKET_TIMEOUT
            new Rule(210, null, Kind.TRANSIENT, 500), // NETWORK_ERROR
            new Rule(225, null, Kind.TRANSIENT, 500), // NO_ZOOKEEPER
            new Rule(241, null, Kind.TRANSIENT, 500), // MEMORY_LIMIT_EXCEEDED
            new Rule(242, null, Kind.TRANSIENT, 500), // TABLE_IS_READ_ONLY
            new Rule(252, "Too many partitions for single INSERT block", Kind.BATCH_SHAPE, 400), // TOO_MANY_PARTS
            new Rule(252, "in all partitions in total", Kind.FATAL, 500), // TOO_MANY_PARTS
            new Rule(252, null, Kind.TRANSIENT, 500), // TOO_MANY_PARTS
            new Rule(279, null, Kind.TRANSIENT, 500), // ALL_CONNECTION_TRIES_FAILED
            new Rule(999, null, Kind.TRANSIENT, 500), // KEEPER_EXCEPTION

            new Rule(6, null, Kind.DATA, 400), // CANNOT_PARSE_TEXT
            new Rule(25, null, Kind.DATA, 400), // CANNOT_PARSE_ESCAPE_SEQUENCE
            new Rule(26, null, Kind.DATA, 400), // CANNOT_PARSE_QUOTED_STRING
            new Rule(27, null, Kind.DATA, 400), // CANNOT_PARSE_INPUT_ASSERTION_FAILED
            new Rule(32, null, Kind.DATA, 400), // ATTEMPT_TO_READ_AFTER_EOF
            new Rule(33, null, Kind.DATA, 400), // CANNOT_READ_ALL_DATA
            new Rule(38, null, Kind.DATA, 400), // CANNOT_PARSE_DATE
            new Rule(41, null, Kind.DATA, 400), // CANNOT_PARSE_DATETIME
            new Rule(53, null, Kind.DATA, 400), // TYPE_MISMATCH
            new Rule(62, null, Kind.DATA, 400), // SYNTAX_ERROR
            new Rule(69, null, Kind.DATA, 400), // ARGUMENT_OUT_OF_BOUND
            new Rule(70, null, Kind.DATA, 400), // CANNOT_CONVERT_TYPE
            new Rule(72, null, Kind.DATA, 400), // CANNOT_PARSE_NUMBER
            new Rule(117, null, Kind.DATA, 400), // INCORRECT_DATA
            new Rule(131, null, Kind.DATA, 400), // TOO_LARGE_STRING_SIZE
            new Rule(321, null, Kind.DATA, 400), // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE

            new Rule(16, null, Kind.FATAL, 500), // NO_SUCH_COLUMN_IN_TABLE
            new Rule(60, null, Kind.FATAL, 404), // UNKNOWN_TABLE
            new Rule(73, null, Kind.FATAL, 404), // UNKNOWN_FORMAT
            new Rule(81, null, Kind.FATAL, 404), // UNKNOWN_DATABASE
            new Rule(115, null, Kind.FATAL, 404), // UNKNOWN_SETTING
            new Rule(164, null, Kind.FATAL, 500), // READONLY
            new Rule(192, null, Kind.FATAL, 401), // UNKNOWN_USER
            new Rule(193, null, Kind.FATAL, 401), // WRONG_PASSWORD
            new Rule(194, null, Kind.FATAL, 401), // REQUIRED_PASSWORD
            new Rule(291, null, Kind.FATAL, 500), // DATABASE_ACCESS_DENIED
            new Rule(372, null, Kind.FATAL, 500), // SESSION_NOT_FOUND
            new Rule(373, null, Kind.FATAL, 500), // SESSION_IS_LOCKED
            new Rule(374, null, Kind.FATAL, 500), // INVALID_SESSION_TIMEOUT
            new Rule(497, null, Kind.FATAL, 403), // ACCESS_DENIED
            new Rule(516, null, Kind.FATAL, 403)); // AUTHENTICATION_FAILED

    private ErrorPolicy() {
    }

    /**
     * The kind of a failed reply. A code not in the table is taken to be about the data, as most of what ClickHouse
     * rejects in an insert is; an answer without a code is transient when it is a 5xx or no answer at all (a proxy
     * or the server failing), else fatal.
     */
    public static Kind kind(UpstreamReply r) {
        return kind(r.code(), r.message(), r.status());
    }

    private static Kind kind(int code, String message, int status) {
        Rule rule = rule(code, message);
        if (rule != null) {
            return rule.kind();
        }
        if (code >= 0) {
            return Kind.DATA;
        }
        return status == 0 || status >= 500 ? Kind.TRANSIENT : Kind.FATAL;
    }

    /** True if a sender's answer is ClickHouse refusing rows of that request ({@link Kind#DATA}). */
    public static boolean refusedRows(InsertResult r) {
        return r.code() >= 0 && kind(r.code(), r.message(), r.status()) == Kind.DATA;
    }

    /** What to do with a reply to an insert of {@code parts} requests. */
    public static Action of(UpstreamReply r, int parts) {
        if (r.ok()) {
            return Action.ANSWER;
        }
        return switch (kind(r)) {
            case TRANSIENT -> Action.RETRY;
            case DATA -> parts < 2 ? Action.ANSWER : Action.SPLIT;
            case BATCH_SHAPE -> parts < 2 ? Action.ANSWER : Action.SHRINK;
            case FATAL -> Action.ANSWER;
        };
    }

    /** The HTTP status the requests are answered with (see the class comment); the reply's own for other codes. */
    public static int status(UpstreamReply r) {
        Rule rule = rule(r.code(), r.message());
        return rule != null ? rule.status() : r.status();
    }

    private static Rule rule(int code, String message) {
        for (Rule rule : RULES) {
            if (rule.matches(code, message)) {
                return rule;
            }
        }
        return null;
    }
}
