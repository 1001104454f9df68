package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.protocol.ResponseFrame;
import io.catflap.testkit.ClickHouseServer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A sender of bad rows beside good ones, against the real ClickHouse: every good row lands exactly once, the bad
 * sender gets ClickHouse's error every time, and the table's INSERT queries stay within what the flush gaps and
 * the split budget allow. The bad sender sends without pause, as a broken client does: without the quarantine each
 * of the good senders' batches (ten a second) would hold a bad row and be split some nine times over, far past the
 * bound. ({@link SplitStormTest} also has a bad sender that escapes its quarantine between bad rows.)
 */
class SplitStormIT {
    private static final Duration SUSTAINED = Duration.ofSeconds(10);
    private static final int GOOD_SENDERS = 20;
    private static final long MIN_FLUSH_GAP_MILLIS = 100;
    /** The good senders' key and the bad sender's quarantined key, each at most one insert a gap. */
    private static final int KEYS = 2;

    @Test
    void goodRowsLandOnceAndTheTableGetsBoundedInserts() throws Exception {
        ClickHouseServer ch = ClickHouseServer.shared();
        String table = ch.createTable("split_storm", "a UInt64");
        try (Aggregator agg = Aggregator.start(TestAggregators.local(ch.httpUrl())
                .minFlushGapMillis(MIN_FLUSH_GAP_MILLIS))) {
            long start = System.nanoTime();
            BadNeighbour.Outcome o = BadNeighbour.run(agg.port(), table + "(a)", GOOD_SENDERS, SUSTAINED,
                    Duration.ZERO);
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) + 1;

            assertEquals(List.of(), o.goodErrors(), "no good sender got an error");
            assertTrue(o.badAnswers().size() > 1, "the bad sender kept sending: " + o.badAnswers().size());
            for (ResponseFrame r : o.badAnswers()) {
                assertEquals(400, r.status(), r.message());
                assertTrue(r.message().startsWith("Code: "), "ClickHouse's own error: " + r.message());
            }
            List<Long> landed = Arrays.stream(ch.query("SELECT a FROM " + table + " FORMAT TSV").split("\n"))
                    .filter(s -> !s.isBlank()).map(Long::parseLong).toList();
            Set<Long> distinct = landed.stream().collect(Collectors.toSet());
            assertEquals(landed.size(), distinct.size(), "no good row landed twice");
            assertEquals(o.acked(), distinct, "every acked good row landed, and nothing else");

            long inserts = ch.insertQueryCount(table);
            long bound = seconds * (KEYS * (1000 / MIN_FLUSH_GAP_MILLIS + 1)
                    + AggregatorConfig.DEFAULT_MAX_SPLIT_INSERTS) + AggregatorConfig.DEFAULT_MAX_SPLIT_INSERTS;
            assertTrue(inserts <= bound, inserts + " INSERT queries in " + seconds + " s, more than " + bound);
            System.out.printf("%d good rows, %d bad answers, %d INSERT queries in %d s%n", distinct.size(),
                    o.badAnswers().size(), inserts, seconds);
        }
    }
}
