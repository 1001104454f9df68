package io.catflap.aggregator.upstream;

import java.util.Set;

/**
 * Decides what a failed insert means for the requests in it: retry the same insert later, split the batch to find
 * the requests whose rows are bad, or answer every request with the error.
 */
public final class ErrorPolicy {
    /** What to do with a reply. */
    public enum Action { ANSWER, RETRY, SPLIT }

    /**
     * Errors that say nothing about the rows and go away by themselves: memory limit (241), timeouts (159, 209),
     * network (210), too many parts (252), too many simultaneous queries (202), read-only replica (242),
     * ZooKeeper/Keeper trouble (225, 999), all replicas lost (3, 279).
     */
    private static final Set<Integer> TRANSIENT = Set.of(3, 159, 202, 209, 210, 225, 241, 242, 252, 279, 999);

    /**
     * Errors that hold for every request of the key, so splitting would only multiply failed inserts: unknown
     * table/database/column (60, 81, 16), authentication and access (192, 193, 194, 497, 516), unknown setting
     * (115), unknown format (73), readonly user (164).
     */
    private static final Set<Integer> WHOLE_KEY = Set.of(16, 60, 73, 81, 115, 164, 192, 193, 194, 497, 516);

    private ErrorPolicy() {
    }

    /**
     * Everything else ClickHouse rejects (27 cannot parse, 53 type mismatch, 33 truncated, 117 unknown field, 6, 26,
     * 38, 41, 72, 62 ...) is taken to be about the data: the batch is split so that only its senders get the error.
     */
    public static Action of(UpstreamReply r, int parts) {
        if (r.ok()) {
            return Action.ANSWER;
        }
        if (r.status() == 0 || TRANSIENT.contains(r.code()) || (r.code() < 0 && r.status() >= 500)) {
            return Action.RETRY;
        }
        if (WHOLE_KEY.contains(r.code()) || r.code() < 0 || parts < 2) {
            return Action.ANSWER;
        }
        return Action.SPLIT;
    }
}
