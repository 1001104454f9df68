/**
 * The daemon's on-disk buffer for {@code persistent=1} writes: {@link io.catflap.client.persist.PersistentLog}
 * appends each write as a checksummed record to per-table segment files and delivers them through a
 * {@link io.catflap.client.persist.PersistSink}, one sender per table, resuming from a durably stored position after
 * a crash or restart (the batch in flight then is sent again under the same idempotency key: exactly-once towards
 * an aggregator that deduplicates keys, at-least-once elsewhere). The path of one record: {@code PersistentLog.append} → {@code TableStream}
 * → {@code SegmentWriter} (fsync per {@link io.catflap.client.persist.FsyncPolicy}); then {@code StreamSender} →
 * {@code BatchReader} → {@code SegmentReader} (skips torn or corrupt spans) → sink → {@code AckStore}. File format,
 * fsync trade-offs and metrics: {@code client/PERSISTENCE.md}.
 */
package io.catflap.client.persist;
