package io.catflap.aggregator.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** Counts rejected input by reason ({@code catflap.bad_requests{reason=...}}). */
public final class BadRequests {
    private final MeterRegistry registry;

    public BadRequests(MeterRegistry registry) {
        this.registry = registry;
    }

    public void count(String reason) {
        Counter.builder("catflap.bad_requests").description("Requests rejected or cut off, by reason")
                .tag("reason", reason).register(registry).increment();
    }
}
