package io.catflap.aggregator.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.batch.MalformedBody;
import io.catflap.aggregator.batch.RowBinaryLayout;
import io.catflap.protocol.TableSpec;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading a table's RowBinary layout from the system.columns reply, as the stripped reply text comes back. */
class TableLayoutsTest {
    private static final String REPLY = "4\tid\tUInt32\t\n4\tdoubled\tUInt64\tMATERIALIZED\n"
            + "4\ttab\\tname\tString\tDEFAULT\n4\tlast\tUInt8";

    @Test
    void insertableColumnsInTableOrderOrTheListedOnes() throws MalformedBody {
        RowBinaryLayout all = TableLayouts.layout(TableSpec.parse("db.t"), REPLY).orElseThrow();
        // id UInt32, `tab\tname` String, last UInt8: the MATERIALIZED column is not sent
        assertEquals(2, all.rows(Unpooled.wrappedBuffer(new byte[] {1, 0, 0, 0, 1, 'x', 9, 2, 0, 0, 0, 0, 8})));
        RowBinaryLayout listed = TableLayouts.layout(TableSpec.parse("db.t(last,id)"), REPLY).orElseThrow();
        assertEquals(1, listed.rows(Unpooled.wrappedBuffer(new byte[] {9, 1, 0, 0, 0})));
    }

    @Test
    void aCutReplyOrAnUnknownColumnGivesNoLayout() {
        assertTrue(TableLayouts.layout(TableSpec.parse("db.t"), REPLY.substring(0, REPLY.lastIndexOf('\n')))
                .isEmpty(), "three lines where four were counted");
        assertTrue(TableLayouts.layout(TableSpec.parse("db.t(id,nope)"), REPLY).isEmpty());
        assertTrue(TableLayouts.layout(TableSpec.parse("db.t"), "").isEmpty());
    }

    @Test
    void theQueryNamesTheTableAsLiterals() {
        assertTrue(TableLayouts.query(TableSpec.parse("t")).contains("database = currentDatabase() AND table = 't'"));
        assertTrue(TableLayouts.query(new TableSpec("d'b", "t\\", List.of(), null))
                .contains("database = 'd\\'b' AND table = 't\\\\'"));
    }
}
