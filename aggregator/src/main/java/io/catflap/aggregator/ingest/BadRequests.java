package io.catflap.aggregator.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Counts rejected input by reason ({@code catflap.bad_requests{reason=...}}). The reasons are a few constants of
 * the code, so their counters are kept: a flood of bad input costs an increment each, not a registry lookup.
 */
public final class BadRequests {
    private final MeterRegistry registry;
    private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();

    public BadRequests(MeterRegistry registry) {
        this.registry = registry;
    }

    public void count(String reason) {
        counters.computeIfAbsent(reason, r -> Counter.builder("catflap.bad_requests")
                .description("Requests rejected or cut off, by reason").tag("reason", r).register(registry))
                .increment();
    }
}
