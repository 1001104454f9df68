package io.catflap.aggregator.batch;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class RowBoundaryTest {
    /** One body validator, as the batcher calls it. */
    @FunctionalInterface
    interface Check {
        long rows(ByteBuf body) throws MalformedBody;
    }

    private static final Check VALUES = RowBoundary::values;
    private static final Check CSV = b -> RowBoundary.csv(b, (byte) ',', true, true);
    private static final Check TSV = RowBoundary::tabSeparated;
    private static final Check JSON = RowBoundary::jsonEachRow;

    @Test
    void valuesCountsCompleteTuples() throws MalformedBody {
        assertEquals(3, rows(VALUES, "(1,'a'),(2,'b)\\'(,'), ( 3 , [1,(2)], 'x''y' )\n"));
        assertEquals(1, rows(VALUES, "  (1)  "));
    }

    @Test
    void valuesWithWordsOutsideStringsMayHoldExpressions() {
        for (String literal : List.of("(1,'now()'),(NULL,-inf,nan,true)", "(1e5, 2.5E-3, 0x1F, [1,2], (3,'a''b'))",
                "('it\\'s', 'concat(x)')")) {
            assertFalse(mayHoldExpressions(literal), literal);
        }
        for (String expression : List.of("(now())", "(1, lower('A'))", "(toDate('2020-01-01'))", "(_x)",
                "((SELECT 1))", "(1,'open")) {
            assertTrue(mayHoldExpressions(expression), expression);
        }
    }

    private static boolean mayHoldExpressions(String body) {
        ByteBuf b = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        try {
            return RowBoundary.valuesMayHoldExpressions(b);
        } finally {
            b.release();
        }
    }

    @Test
    void valuesRefusesAnythingButTuplesEndingTheBody() {
        assertError(VALUES, "(1,'a');(2,'b')", "unexpected bytes after tuple 1 (nothing may follow the last tuple)"
                + " at byte 7 (near ';(2,\\x27b\\x27)')");
        assertError(VALUES, "(1),(2);", "unexpected bytes after tuple 2");
        assertError(VALUES, "(1) garbage", "unexpected bytes after tuple 1 (nothing may follow the last tuple) at"
                + " byte 4");
        assertError(VALUES, "(1),", "trailing ',' after tuple 1 at byte 3");
        assertError(VALUES, "(1),x", "expected '(' after ',' following tuple 1");
        assertError(VALUES, "(1,'abc", "unterminated string at byte 3");
        assertError(VALUES, "(1,'ab\\'", "unterminated string");
        assertError(VALUES, "(1,[2,3)", "unterminated tuple at byte 0");
        assertError(VALUES, "  ", "no tuple");
        assertError(VALUES, "x(1)", "expected '(' to start a tuple at byte 0");
    }

    @Test
    void csvQuotesSpanLinesAndMustClose() throws MalformedBody {
        assertEquals(2, rows(CSV, "1,\"a\nb\"\n2,'c,d'\n"));
        assertEquals(2, rows(CSV, "1,\"x\"\"y\"\r\n2,z"), "the last line may lack its line end");
        assertEquals(1, rows(CSV, "1,it's\n"), "a quote inside a field opens nothing");
        assertError(CSV, "1,a\n2,\"unclosed\n3,c\n", "unclosed quote (\") in line 2 at byte 6");
        assertError(CSV, "1, 'x\n", "unclosed quote (') in line 1");
        assertEquals(1, RowBoundary.csv(buf("1,'x\n"), (byte) ',', false, true),
                "single quotes are plain text when not allowed");
        assertEquals(1, RowBoundary.csv(buf("1;\"a;b\"\n"), (byte) ';', true, true));
    }

    @Test
    void tabSeparatedEscapesMustNotEatTheLineEnd() throws MalformedBody {
        assertEquals(2, rows(TSV, "1\ta\\\nb\n2\tc"), "an escaped line feed is inside the value");
        assertError(TSV, "1\tabc\\", "ends inside an escape sequence (a trailing backslash) at byte 5");
        assertError(TSV, "1\tabc\\\n", "ends with an escaped line feed (no line end) at byte 5");
        assertEquals(1, rows(TSV, "1\tabc\\\\\n"), "an escaped backslash ends nothing");
    }

    @Test
    void jsonEachRowWantsWholeObjects() throws MalformedBody {
        assertEquals(2, rows(JSON, "{\"a\":1,\"s\":\"}{\\\"\"}\n{\"a\":[{\"b\":2}]},\n"));
        assertError(JSON, "{\"a\":1}\n{\"a\":", "unterminated object 2 at byte 8");
        assertError(JSON, "{\"a\":\"x}", "unterminated string in object 1 at byte 5");
        assertError(JSON, "{\"a\":1} oops", "unexpected bytes after object 1 at byte 8");
        assertError(JSON, "[{\"a\":1}]", "expected '{' to start an object at byte 0");
    }

    /**
     * Every prefix of a good body is either refused or holds only complete rows, so that what follows it in a batch
     * starts a row of its own; a prefix that ends right after a row is never refused.
     */
    @Test
    void everySplitOfAGoodBodyIsRefusedOrEndsOnARow() throws MalformedBody {
        splits(VALUES, ",", "(1,'a,b)')", "(2,[3,4],'x\\'y')", "(5,(6,7),'')");
        splits(CSV, "", "1,\"a\nb\"\n", "2,'c,d'\n", "3,x\r\n");
        splits(TSV, "", "1\ta\\\nb\n", "2\tc\\\\\n");
        splits(JSON, "\n", "{\"a\":\"}\"}", "{\"b\":[{}]}");
    }

    private static void splits(Check check, String separator, String... rows) throws MalformedBody {
        String good = String.join(separator, rows);
        List<Integer> ends = new ArrayList<>();
        int at = 0;
        for (String row : rows) {
            at += row.length();
            ends.add(at);
            at += separator.length();
        }
        boolean lines = check == CSV || check == TSV;
        assertEquals(rows.length, rows(check, good), good);
        for (int cut = 1; cut < good.length(); cut++) {
            String prefix = good.substring(0, cut);
            int completed = 0;
            while (completed < ends.size() && ends.get(completed) <= cut) {
                completed++;
            }
            try {
                long n = rows(check, prefix);
                // a line format may take a cut in a line as that line, complete: a line end is added after it
                assertTrue(n == completed || lines && n == completed + 1, "accepted with " + n + " rows: " + prefix);
            } catch (MalformedBody e) {
                assertTrue(!ends.contains(cut), "refused though it ends on a row: " + prefix + ": " + e.getMessage());
            }
        }
    }

    /** Any bytes: an answer, rows or a bounded message, never an exception. */
    @Test
    void randomBytesGetRowsOrAPreciseError() {
        Random random = new Random(20_241_129);
        byte[] alphabet = "(),'\"\\[]{}\n\r\t ;a1:".getBytes(StandardCharsets.US_ASCII);
        for (Check check : List.of(VALUES, CSV, TSV, JSON)) {
            for (int n = 0; n < 20_000; n++) {
                byte[] body = new byte[random.nextInt(40)];
                for (int i = 0; i < body.length; i++) {
                    body[i] = random.nextInt(4) == 0 ? (byte) random.nextInt(256)
                            : alphabet[random.nextInt(alphabet.length)];
                }
                try {
                    assertTrue(check.rows(Unpooled.wrappedBuffer(body)) >= 0);
                } catch (MalformedBody e) {
                    assertTrue(e.getMessage().contains(" body does not end on a row boundary: ")
                            && e.getMessage().length() < 300, e.getMessage());
                } catch (RuntimeException e) {
                    fail("exception for " + new String(body, StandardCharsets.ISO_8859_1), e);
                }
            }
        }
    }

    private static long rows(Check check, String body) throws MalformedBody {
        return check.rows(buf(body));
    }

    private static void assertError(Check check, String body, String expected) {
        String message = assertThrows(MalformedBody.class, () -> check.rows(buf(body))).getMessage();
        assertTrue(message.contains(expected), message);
    }

    private static ByteBuf buf(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }
}
