package io.catflap.aggregator.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** ClickHouse's texts (18.16's as it answers them, and newer spellings) cut to what /status may show. */
class ErrorSummaryTest {

    @Test
    void theRowDumpAndWhatTheParserSawAreCut() {
        String tsv = """
                Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected \\t before: secret_xyz\\tpass\
                word123\\n: (at row 2)

                Row 1:
                Column 0,   name: a, type: UInt32, parsed text: "1"

                Row 2:
                Column 0,   name: a, type: UInt32, ERROR: text "secret_xyz" is not like UInt32

                , e.what() = DB::Exception
                """;
        assertEquals("Code: 27, DB::Exception: Cannot parse input: expected \\t", ErrorSummary.of(27, tsv));
        assertEquals("Code: 27, DB::Exception: Cannot parse input: expected ,", ErrorSummary.of(27,
                "Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected , before: "
                        + "\\'secret_xyz\\',\\'password123\\'): (at row 2)\n, e.what() = DB::Exception"));
        assertEquals("Code: 33, DB::Exception: Cannot read all data. Bytes read: 2. Bytes expected: 4.",
                ErrorSummary.of(33, "Code: 33, e.displayText() = DB::Exception: Cannot read all data. Bytes read: 2."
                        + " Bytes expected: 4.: (at row 1)\n, e.what() = DB::Exception"));
        assertEquals("Code: 62. DB::Exception: Cannot parse expression of type UInt32", ErrorSummary.of(62,
                "Code: 62. DB::Exception: Cannot parse expression of type UInt32 here: 'secret'),(2): While executing"
                        + " ValuesBlockInputFormat. (SYNTAX_ERROR) (version 24.3.1.2672)"));
    }

    @Test
    void quotedValuesAreMasked() {
        assertEquals("Code: 6. DB::Exception: Cannot parse string '…' as UInt32: syntax error at begin of string.",
                ErrorSummary.of(6, "Code: 6. DB::Exception: Cannot parse string 'secret' as UInt32: syntax error at "
                        + "begin of string."));
    }

    @Test
    void accessErrorsNameNobody() {
        for (String text : new String[] {
                "Code: 193, e.displayText() = DB::Exception: Wrong password for user alice, e.what() = DB::Exception",
                "Code: 192, e.displayText() = DB::Exception: Unknown user alice, e.what() = DB::Exception",
                "Code: 516. DB::Exception: alice: Authentication failed: password is incorrect. (AUTHENTICATION_FAILED)",
                "Code: 497. DB::Exception: alice: Not enough privileges. To execute this query, it's necessary to have "
                        + "the grant INSERT ON secret.t. (ACCESS_DENIED)"}) {
            int code = Integer.parseInt(text.substring(6, 9));
            String summary = ErrorSummary.of(code, text);
            assertTrue(summary.startsWith("Code: " + code + ". "), summary);
            assertTrue(!summary.contains("alice") && !summary.contains("secret"), summary);
        }
    }

    @Test
    void aLongTextIsCut() {
        String summary = ErrorSummary.of(-1, "cannot connect to ClickHouse: " + "x".repeat(500));
        assertEquals(ErrorSummary.MAX_CHARS + 1, summary.length());
    }
}
