package io.catflap.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.FakeClickHouse.Answer;
import io.catflap.protocol.ResponseFrame;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A sender that keeps sending bad rows beside 100 good senders, for a sustained period, against a fake upstream
 * that refuses every insert holding a bad row as ClickHouse does (fault injection; {@link SplitStormIT} does the
 * same against the real server): the table's inserts per second stay bounded, every good row lands exactly once,
 * and the bad sender gets ClickHouse's error for every request. Twice: a bad sender that sends without pause stays
 * quarantined (each refusal renews it), so only its first bad row splits a good batch; one that pauses longer
 * than the quarantine between bad rows rejoins the good batch with each, and only the split budget bounds what
 * that costs.
 *
 * <p>The bound per second: a key's inserts are at least --min-flush-gap apart ({@code SealPolicy}), so the good
 * senders' key and the bad sender's quarantined key make at most {@code 1 s / gap} each, plus one where a window's
 * edges catch both ends of a gap; inserts of split parts add at most two seconds' worth of the split budget in any
 * one second (a full bucket, then its refill). Without the quarantine and the split budget, each batch of the
 * ~100 good requests would be split about 14 times over, ten batches a second.
 */
class SplitStormTest {
    /** The period the spec asks for; the senders idle in their kernels most of it, so the test stays cheap. */
    private static final Duration SUSTAINED = Duration.ofSeconds(30);
    /** For the sender that rejoins the good batch: long enough for four quarantines to end and begin again. */
    private static final Duration REJOINING = Duration.ofSeconds(12);
    private static final int GOOD_SENDERS = 100;
    /** Short, so that a bad sender pausing a little longer rejoins the good batch many times in the run. */
    private static final long QUARANTINE_MILLIS = 2_000;
    /** At most 10 inserts per key and second, so that the bound is tight. */
    private static final long MIN_FLUSH_GAP_MILLIS = 100;
    private static final int SPLIT_INSERTS_PER_SECOND = AggregatorConfig.DEFAULT_MAX_SPLIT_INSERTS;
    /** The good senders' key and the bad sender's quarantined key. */
    private static final int KEYS = 2;
    private static final long MAX_INSERTS_PER_SECOND = KEYS * (1000 / MIN_FLUSH_GAP_MILLIS + 1)
            + 2L * SPLIT_INSERTS_PER_SECOND;
    private static final String REFUSAL = "Code: 27, e.displayText() = DB::Exception: Cannot parse input: "
            + "expected ) before: 'bad')";
    private static final Pattern ROW = Pattern.compile("\\((\\d+)\\)");

    @ParameterizedTest(name = "the bad sender pauses {0} ms")
    @ValueSource(longs = {0, QUARANTINE_MILLIS + 500})
    void aBadSenderNeitherSplitsGoodBatchesAgainAndAgainNorFloodsTheTable(long badPauseMillis) throws Exception {
        Duration sustained = badPauseMillis == 0 ? SUSTAINED : REJOINING;
        List<Long> inserts = new CopyOnWriteArrayList<>();
        try (FakeClickHouse upstream = new FakeClickHouse(r -> {
                if (URLDecoder.decode(r.uri(), StandardCharsets.UTF_8).contains("INSERT INTO")) {
                    inserts.add(System.nanoTime());
                }
                return r.body().contains("bad") ? Answer.error(400, REFUSAL) : Answer.ok(0);
            });
             Aggregator agg = Aggregator.start(TestAggregators.local(upstream.url())
                     .minFlushGapMillis(MIN_FLUSH_GAP_MILLIS).quarantineMillis(QUARANTINE_MILLIS)
                     .maxSplitInserts(SPLIT_INSERTS_PER_SECOND))) {
            BadNeighbour.Outcome o = BadNeighbour.run(agg.port(), "db.t(a)", GOOD_SENDERS, sustained,
                    Duration.ofMillis(badPauseMillis));

            assertEquals(List.of(), o.goodErrors(), "no good sender got an error");
            assertTrue(o.badAnswers().size() > 1, "the bad sender kept sending: " + o.badAnswers().size());
            for (ResponseFrame r : o.badAnswers()) {
                assertEquals(new ResponseFrame(400, REFUSAL), r, "ClickHouse's error, every time");
            }

            Map<Long, Integer> landed = new HashMap<>();
            for (String body : upstream.committed()) {
                Matcher m = ROW.matcher(body);
                while (m.find()) {
                    landed.merge(Long.parseLong(m.group(1)), 1, Integer::sum);
                }
            }
            assertEquals(o.acked(), landed.keySet(), "every acked good row landed, and nothing else");
            landed.forEach((row, times) -> assertEquals(1, times, "row " + row + " landed once"));

            double splitInserts = 2 * agg.registry().get("catflap.batch.splits").counter().count();
            double delayed = agg.registry().get("catflap.split.inserts.delayed").counter().count();
            if (badPauseMillis > 0) {
                assertTrue(delayed > 0, "batches of ~100 split apart take more than a second's split budget");
            }
            assertTrue(splitInserts <= SPLIT_INSERTS_PER_SECOND * (sustained.toSeconds() + 1),
                    "split inserts within the budget: " + splitInserts);
            long start = inserts.get(0);
            Map<Long, Integer> perSecond = new HashMap<>();
            for (long at : inserts) {
                perSecond.merge(TimeUnit.NANOSECONDS.toSeconds(at - start), 1, Integer::sum);
            }
            int busiest = perSecond.values().stream().max(Integer::compare).orElseThrow();
            assertTrue(busiest <= MAX_INSERTS_PER_SECOND, "inserts per second " + perSecond);
            System.out.printf("%d good rows from %d senders, %d bad answers, %d inserts (%.0f of split parts, %.0f "
                    + "delayed), at most %d in a second%n", o.acked().size(), GOOD_SENDERS, o.badAnswers().size(),
                    inserts.size(), splitInserts, delayed, busiest);
        }
    }
}
