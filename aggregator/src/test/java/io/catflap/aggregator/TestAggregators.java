package io.catflap.aggregator;

import java.io.IOException;
import java.io.InputStream;
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

    /** An HTTP response's status line and headers, up to the blank line (or what came before the connection closed). */
    static String readHttpHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            sb.append((char) b);
        }
        return sb.toString();
    }
}
