package io.catflap.aggregator.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** At most one WARN line per table and interval, on a clock the test moves. */
class InsertWarningsTest {
    private static final UpstreamReply BAD_ROW = UpstreamReply.of(400,
            "Code: 27, e.displayText() = DB::Exception: Cannot parse input");
    private static final UpstreamReply TOO_MANY_PARTS = UpstreamReply.of(500, "Code: 252. Too many parts (300)");
    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);
    private final InsertWarnings warnings = new InsertWarnings(LoggerFactory.getLogger(InsertWarningsTest.class),
            now::get);

    @Test
    void oneLinePerTableAndIntervalWithTheCountOfTheOthers() {
        assertEquals("insert into db.t split after ClickHouse error 27: " + BAD_ROW.message(),
                warnings.line("db.t", false, BAD_ROW));
        assertNull(warnings.line("db.t", true, TOO_MANY_PARTS));
        assertNull(warnings.line("db.t", false, BAD_ROW));
        assertEquals("insert into db.other retried after ClickHouse error 252: " + TOO_MANY_PARTS.message(),
                warnings.line("db.other", true, TOO_MANY_PARTS), "another table has its own interval");
        now.addAndGet(InsertWarnings.INTERVAL_NANOS - 1);
        assertNull(warnings.line("db.t", false, BAD_ROW));
        now.addAndGet(1);
        assertEquals("insert into db.t retried after ClickHouse error 252: " + TOO_MANY_PARTS.message()
                + " (3 more retries and splits of this table since the previous line not logged)",
                warnings.line("db.t", true, TOO_MANY_PARTS));
    }

    @Test
    void errorsWithoutACodeSayWhatTheyWere() {
        assertEquals("insert into db.t retried after no answer: connection refused",
                warnings.line("db.t", true, UpstreamReply.failed("connection refused")));
        now.addAndGet(InsertWarnings.INTERVAL_NANOS);
        assertEquals("insert into db.t retried after HTTP 502: bad gateway",
                warnings.line("db.t", true, UpstreamReply.of(502, "bad gateway")));
    }
}
