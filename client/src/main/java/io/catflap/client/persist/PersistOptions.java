package io.catflap.client.persist;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the persistent log; the first five mirror kittenhouse's flags.
 *
 * @param maxFileSize    a segment is sealed once it holds this many bytes ({@code --max-file-size})
 * @param rotateInterval a segment is sealed once it is this old ({@code --rotate-interval-sec})
 * @param fsync          see {@link FsyncPolicy}
 * @param markAsDone     fully sent segments are renamed to {@code *.done} instead of deleted ({@code --mark-as-done})
 * @param maxSendSize    the sender joins records into batches of at most this many bytes ({@code --max-send-size})
 * @param fsyncInterval  the group-commit period of {@link FsyncPolicy#INTERVAL}
 */
public record PersistOptions(long maxFileSize, Duration rotateInterval, FsyncPolicy fsync, boolean markAsDone,
                             int maxSendSize, Duration fsyncInterval) {

    public static final Duration DEFAULT_FSYNC_INTERVAL = Duration.ofMillis(100);

    public PersistOptions {
        if (maxFileSize <= 0 || maxSendSize <= 0) {
            throw new IllegalArgumentException("maxFileSize and maxSendSize must be positive");
        }
        if (rotateInterval.isNegative() || rotateInterval.isZero()
                || fsyncInterval.isNegative() || fsyncInterval.isZero()) {
            throw new IllegalArgumentException("rotateInterval and fsyncInterval must be positive");
        }
        Objects.requireNonNull(fsync, "fsync");
    }

    /** Same, with the default fsync interval. */
    public PersistOptions(long maxFileSize, Duration rotateInterval, FsyncPolicy fsync, boolean markAsDone,
                          int maxSendSize) {
        this(maxFileSize, rotateInterval, fsync, markAsDone, maxSendSize, DEFAULT_FSYNC_INTERVAL);
    }

    /** kittenhouse's defaults (50 MiB files, 1800 s rotation, 1 MiB batches, no mark-as-done) plus INTERVAL fsync. */
    public static PersistOptions defaults() {
        return new PersistOptions(50L << 20, Duration.ofSeconds(1800), FsyncPolicy.INTERVAL, false, 1 << 20);
    }
}
