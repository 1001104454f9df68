package io.catflap.aggregator.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

    @Test
    void versionsDecideSettings() {
        assertEquals(false, ServerVersion.parse("18.16.1").hasAsyncInsert());
        assertEquals(false, ServerVersion.parse("21.10.2.15").hasAsyncInsert());
        assertEquals(true, ServerVersion.parse("21.11.1").hasAsyncInsert());
        assertEquals(true, ServerVersion.parse("26.1.1.1\n").hasAsyncInsert());
    }
}
