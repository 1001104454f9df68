package io.catflap.client.persist;

import java.util.Locale;

/**
 * When appended rows are forced to stable storage. A process crash (even SIGKILL) never loses an acknowledged
 * append under any policy: {@link PersistentLog#append} returns only after the record is in the kernel's page cache.
 * The policies differ in what a power loss or kernel crash can cost.
 */
public enum FsyncPolicy {

    /** Each append returns only after an fsync covering it (concurrent appends share one fsync): nothing acked is
     *  lost on power loss. Costs one disk flush per group of concurrent appends. */
    ALWAYS,

    /** Appends return once written; a background task fsyncs every {@link PersistOptions#fsyncInterval()}: a power
     *  loss can cost up to that interval of acknowledged rows. */
    INTERVAL,

    /** Never fsyncs the rows (kittenhouse's behaviour): a power loss costs whatever the page cache had not written
     *  back yet, typically up to ~30 s of rows. */
    NEVER;

    /** Parses {@code always}, {@code interval} or {@code never}, case-insensitively. */
    public static FsyncPolicy parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("fsync policy must be always, interval or never, got '" + s + "'");
        }
    }
}
