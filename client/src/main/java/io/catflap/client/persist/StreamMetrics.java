package io.catflap.client.persist;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

/** The meters of one table stream, tagged with its table and format. */
final class StreamMetrics {

    private static final String PREFIX = "catflap.client.persist.";

    final Counter appendedRecords;
    final Counter appendedBytes;
    final Counter sentRecords;
    final Counter sentBytes;
    final Counter sendErrors;
    final Counter corruptRecords;
    final Counter corruptBytes;
    final Counter rejectedRecords;
    final Counter rejectedBytes;
    /** Every fsync of segment data: how often the policy flushes and what the disk charges for it. */
    final Timer fsyncs;
    private final MeterRegistry registry;
    private final Gauge backlogBytes;

    StreamMetrics(MeterRegistry registry, TableStream stream) {
        this.registry = registry;
        Tags tags = Tags.of("table", stream.table, "format", stream.rowBinary ? "rowbinary" : "values");
        appendedRecords = registry.counter(PREFIX + "appended_records", tags);
        appendedBytes = registry.counter(PREFIX + "appended_bytes", tags);
        sentRecords = registry.counter(PREFIX + "sent_records", tags);
        sentBytes = registry.counter(PREFIX + "sent_bytes", tags);
        sendErrors = registry.counter(PREFIX + "send_errors", tags);
        corruptRecords = registry.counter(PREFIX + "corrupt_records", tags);
        corruptBytes = registry.counter(PREFIX + "corrupt_bytes", tags);
        rejectedRecords = registry.counter(PREFIX + "rejected_records", tags);
        rejectedBytes = registry.counter(PREFIX + "rejected_bytes", tags);
        fsyncs = Timer.builder(PREFIX + "fsync").description("fsyncs of segment data").tags(tags).register(registry);
        backlogBytes = Gauge.builder(PREFIX + "backlog_bytes", stream, TableStream::backlogBytes)
                .description("bytes of segments not yet acknowledged by the destination")
                .tags(tags).strongReference(false).register(registry);
    }

    /** Unregisters the gauge so that a log reopened on the same registry exposes its own stream. */
    void close() {
        registry.remove(backlogBytes);
    }
}
