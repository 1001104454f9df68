package io.catflap.aggregator.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.batch.InsertResult;
import org.junit.jupiter.api.Test;

class ErrorPolicyTest {

    @Test
    void errorCodesParseInBothSpellings() {
        assertEquals(27, UpstreamReply.of(500, "Code: 27, e.displayText() = DB::Exception: Cannot parse").code());
        assertEquals(27, UpstreamReply.of(500, "Code: 27. DB::Exception: Cannot parse").code());
        assertEquals(-1, UpstreamReply.of(502, "Bad Gateway").code());
        assertEquals(ErrorPolicy.Action.RETRY, ErrorPolicy.of(UpstreamReply.of(502, "Bad Gateway"), 4));
        assertEquals(ErrorPolicy.Action.SPLIT, ErrorPolicy.of(UpstreamReply.of(500, "Code: 27. x"), 4));
        assertEquals(ErrorPolicy.Action.ANSWER, ErrorPolicy.of(UpstreamReply.of(500, "Code: 27. x"), 1));
        assertEquals(ErrorPolicy.Action.ANSWER, ErrorPolicy.of(UpstreamReply.of(401, "Code: 193. x"), 4));
    }

    @Test
    void connectionFailuresAndOverloadAreRetried() {
        assertEquals(ErrorPolicy.Action.RETRY, ErrorPolicy.of(UpstreamReply.failed("reset"), 1));
        assertEquals(ErrorPolicy.Action.RETRY, ErrorPolicy.of(UpstreamReply.of(500, "Code: 252, Too many parts"), 9));
        assertEquals(ErrorPolicy.Action.ANSWER, ErrorPolicy.of(UpstreamReply.of(404, "Code: 60. no table"), 9));
        assertEquals(ErrorPolicy.Action.ANSWER, ErrorPolicy.of(UpstreamReply.of(200, ""), 9));
    }

    /** 252 is a batch too big for its partitions (split by size), a table whose merges lag (wait), or a key problem. */
    @Test
    void theMeaningsOf252AreToldApartByTheirText() {
        UpstreamReply partitions = UpstreamReply.of(500, "Code: 252. DB::Exception: Too many partitions for single "
                + "INSERT block (more than 100). The limit is controlled by 'max_partitions_per_insert_block' setting.");
        assertEquals(ErrorPolicy.Kind.BATCH_SHAPE, ErrorPolicy.kind(partitions));
        assertEquals(ErrorPolicy.Action.SHRINK, ErrorPolicy.of(partitions, 2));
        assertEquals(ErrorPolicy.Action.ANSWER, ErrorPolicy.of(partitions, 1));
        assertEquals(400, ErrorPolicy.status(partitions), "the sender's own rows span too many partitions");
        UpstreamReply parts = UpstreamReply.of(500, "Code: 252, e.displayText() = DB::Exception: Too many parts "
                + "(300). Merges are processing significantly slower than inserts., e.what() = DB::Exception");
        assertEquals(ErrorPolicy.Kind.TRANSIENT, ErrorPolicy.kind(parts));
        assertEquals(500, ErrorPolicy.status(parts));
        UpstreamReply total = UpstreamReply.of(500, "Code: 252. DB::Exception: Too many parts (100000) in all "
                + "partitions in total in table 'db.t'. This indicates wrong choice of partition key.");
        assertEquals(ErrorPolicy.Kind.FATAL, ErrorPolicy.kind(total));
    }

    /** ClickHouse 18.16's statuses, except that errors about the data are 400 as current ClickHouse answers them. */
    /** What quarantines a sender: ClickHouse refusing its rows, not its table, its server or the aggregator. */
    @Test
    void onlyDataErrorsAreRefusedRows() {
        assertTrue(ErrorPolicy.refusedRows(UpstreamReply.of(500, "Code: 27, Cannot parse input").toResult()));
        assertTrue(ErrorPolicy.refusedRows(UpstreamReply.of(500, "Code: 1001. Unknown future code").toResult()));
        assertFalse(ErrorPolicy.refusedRows(UpstreamReply.of(404, "Code: 60. Table doesn't exist").toResult()));
        assertFalse(ErrorPolicy.refusedRows(UpstreamReply.of(500, "Code: 252, Too many parts").toResult()));
        assertFalse(ErrorPolicy.refusedRows(UpstreamReply.failed("reset").toResult()));
        assertFalse(ErrorPolicy.refusedRows(new InsertResult(400, "the body does not end on a row boundary")));
        assertFalse(ErrorPolicy.refusedRows(InsertResult.OK));
    }

    @Test
    void statusesAreClickHousesForEachCode() {
        assertEquals(400, UpstreamReply.of(500, "Code: 27, e.displayText() = DB::Exception: Cannot parse").toResult()
                .status());
        assertEquals(400, UpstreamReply.of(500, "Code: 53. Type mismatch").toResult().status());
        assertEquals(400, UpstreamReply.of(500, "Code: 117. Unknown field").toResult().status());
        assertEquals(404, UpstreamReply.of(404, "Code: 60. Table db.t doesn't exist").toResult().status());
        assertEquals(401, UpstreamReply.of(401, "Code: 193. Wrong password").toResult().status());
        assertEquals(500, UpstreamReply.of(500, "Code: 241. Memory limit").toResult().status());
        assertEquals(502, UpstreamReply.of(502, "Bad Gateway").toResult().status(), "no code: the status as it came");
        assertEquals(500, UpstreamReply.of(500, "Code: 1000. Poco").toResult().status(), "an unknown code: as it came");
        assertEquals(503, UpstreamReply.failed("reset").toResult().status());
        assertEquals(27, UpstreamReply.of(500, "Code: 27. x").toResult().code());
    }

    @Test
    void versionsDecideSettings() {
        assertEquals(false, ServerVersion.parse("18.16.1").hasAsyncInsert());
        assertEquals(false, ServerVersion.parse("21.10.2.15").hasAsyncInsert());
        assertEquals(true, ServerVersion.parse("21.11.1").hasAsyncInsert());
        assertEquals(true, ServerVersion.parse("26.1.1.1\n").hasAsyncInsert());
    }
}
