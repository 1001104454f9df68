package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.batch.InsertFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class InsertHeadTest {

    private static InsertHead head(String text) {
        InsertHead.Parse p = InsertHead.parse(text, true);
        assertEquals(InsertHead.Kind.INSERT, p.kind(), () -> "for " + text + ": " + p.error());
        return p.head();
    }

    @Test
    void valuesWithQualifiedTableAndColumns() {
        String text = "insert into db.events (ts, `user id`) values (1,'a')";
        InsertHead h = head(text);
        assertEquals("db", h.table().database());
        assertEquals("events", h.table().table());
        assertEquals(List.of("ts", "user id"), h.table().columns());
        assertEquals(InsertFormat.VALUES, h.format());
        assertEquals(" (1,'a')", text.substring(h.dataOffset()));
    }

    @Test
    void formatDataStartsAfterTheFirstLineFeed() {
        String text = "INSERT INTO t FORMAT TSV  \n1\t2\n";
        InsertHead h = head(text);
        assertEquals("TabSeparated", h.format().name());
        assertEquals("1\t2\n", text.substring(h.dataOffset()));
        String sameLine = "INSERT INTO t FORMAT JSONEachRow {\"a\":1}";
        assertEquals("{\"a\":1}", sameLine.substring(head(sameLine).dataOffset()));
    }

    @Test
    void commentsQuotedNamesAndOptionalTableKeyword() {
        InsertHead h = head("-- note\n/* c */ INSERT INTO TABLE \"my db\".`t\\`x` FORMAT RowBinary\n");
        assertEquals("my db", h.table().database());
        assertEquals("t`x", h.table().table());
        assertEquals(InsertFormat.ROW_BINARY, h.format());
    }

    @Test
    void unknownFormatsAreKeptButNotMerged() {
        InsertFormat f = head("INSERT INTO t FORMAT TSVWithNames\n").format();
        assertEquals("TSVWithNames", f.name());
        assertEquals(false, f.mergeable());
        assertTrue(head("INSERT INTO t FORMAT Native\n").format().mergeable());
    }

    @Test
    void otherStatementsAreNotInserts() {
        for (String s : List.of("SELECT 1", "INSERT INTO t SELECT * FROM u", "INSERT INTO FUNCTION file('x') VALUES",
                "INSERT INTO t SETTINGS async_insert=1 VALUES", "insert into t (a) select 1", "  ", "")) {
            assertEquals(InsertHead.Kind.NOT_INSERT, InsertHead.parse(s, true).kind(), s);
        }
    }

    @Test
    void malformedInsertsSayWhereAndWhy() {
        InsertHead.Parse p = InsertHead.parse("INSERT INTO t (a VALUES (1)", true);
        assertEquals(InsertHead.Kind.INVALID, p.kind());
        assertTrue(p.error().contains("expected ',' or ')'") && p.error().contains("position 17"), p.error());
        assertEquals(InsertHead.Kind.INVALID, InsertHead.parse("INSERT t VALUES", true).kind());
        assertEquals(InsertHead.Kind.INVALID, InsertHead.parse("INSERT INTO 1t VALUES", true).kind());
        assertEquals(InsertHead.Kind.INVALID, InsertHead.parse("INSERT INTO t FORMAT", true).kind());
        assertEquals(InsertHead.Kind.INVALID, InsertHead.parse("INSERT INTO t WHATEVER", true).kind());
    }

    @Test
    void incompleteTextWaitsForMore() {
        for (String s : List.of("INS", "INSERT INTO", "INSERT INTO db.", "INSERT INTO t (a, b", "INSERT INTO t VALUES",
                "INSERT INTO t FORMAT TS", "INSERT INTO t FORMAT TSV  ", "/* comment")) {
            assertEquals(InsertHead.Kind.INCOMPLETE, InsertHead.parse(s, false).kind(), s);
        }
        assertEquals(InsertHead.Kind.INSERT, InsertHead.parse("INSERT INTO t FORMAT TSV\n", false).kind());
        assertEquals(InsertHead.Kind.INSERT, InsertHead.parse("INSERT INTO t VALUES (", false).kind());
    }
}
