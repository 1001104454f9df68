package io.catflap.aggregator.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * What one intake protocol took in: {@code catflap.intake.requests}, {@code .rows}, {@code .bytes} and
 * {@code .refused}, tagged {@code protocol}. Registered once per aggregator and handed to every connection's
 * {@link InsertHandler}, so that a request costs increments, never a registry lookup.
 */
final class IntakeMeters {
    private final Counter requests;
    private final Counter rows;
    private final Counter bytes;
    private final Counter refused;

    private IntakeMeters(Protocol protocol, MeterRegistry registry) {
        String tag = protocol.label();
        this.requests = Counter.builder("catflap.intake.requests").description("Insert requests received")
                .tag("protocol", tag).register(registry);
        this.rows = Counter.builder("catflap.intake.rows")
                .description("Rows received (an upper bound for VALUES and binary formats)")
                .tag("protocol", tag).register(registry);
        this.bytes = Counter.builder("catflap.intake.bytes").description("Insert body bytes received")
                .baseUnit("bytes").tag("protocol", tag).register(registry);
        this.refused = Counter.builder("catflap.intake.refused")
                .description("Insert requests answered with an error before their rows went to a batch or upstream")
                .tag("protocol", tag).register(registry);
    }

    /** Every protocol's meters. */
    static Map<Protocol, IntakeMeters> register(MeterRegistry registry) {
        Map<Protocol, IntakeMeters> m = new EnumMap<>(Protocol.class);
        for (Protocol p : Protocol.values()) {
            m.put(p, new IntakeMeters(p, registry));
        }
        return Collections.unmodifiableMap(m);
    }

    void request() {
        requests.increment();
    }

    /** A request's rows and body bytes went to a batch or upstream. */
    void took(long bodyBytes, long bodyRows) {
        bytes.increment(bodyBytes);
        rows.increment(bodyRows);
    }

    void refused() {
        refused.increment();
    }
}
