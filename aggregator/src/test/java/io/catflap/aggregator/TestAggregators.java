package io.catflap.aggregator;

import java.net.InetSocketAddress;
import java.net.URI;

/** Shorthands for aggregators in tests. */
final class TestAggregators {
    private TestAggregators() {
    }

    /** A config on a free loopback port, no admin server, in front of {@code clickhouse}. */
    static AggregatorConfig local(URI clickhouse) {
        return new AggregatorConfig().listen(new InetSocketAddress("127.0.0.1", 0)).admin(null).clickhouse(clickhouse);
    }

    /** {@code catflap.bad_requests{reason}} so far. */
    static double badRequests(Aggregator agg, String reason) {
        var c = agg.registry().find("catflap.bad_requests").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }
}
