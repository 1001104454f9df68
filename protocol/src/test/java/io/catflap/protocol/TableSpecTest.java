package io.catflap.protocol;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TableSpecTest {
    @Test
    void kittenhouseTableWithoutDatabase() {
        TableSpec spec = TableSpec.parse("internal_logs_buffer(time,server,port)");
        assertEquals(new TableSpec(null, "internal_logs_buffer", List.of("time", "server", "port"), null), spec);
        assertEquals("`internal_logs_buffer`", spec.qualifiedName());
        assertEquals("INSERT INTO `internal_logs_buffer` (`time`, `server`, `port`)", spec.insertInto());
    }

    @Test
    void databaseShardAndSpacedColumns() {
        TableSpec spec = TableSpec.parse("db.events@shard_7(ts, `user id`,\tv )");
        assertEquals(new TableSpec("db", "events", List.of("ts", "user id", "v"), "shard_7"), spec);
        assertEquals("`db`.`events`", spec.qualifiedName());
        assertEquals(" (`ts`, `user id`, `v`)", spec.columnList());
        assertEquals("db.events(ts,`user id`,v)", spec.withoutShard());
        assertEquals("db.events@shard_7(ts,`user id`,v)", spec.toString());
    }

    @Test
    void allColumnsWhenNoListIsGiven() {
        TableSpec spec = TableSpec.parse("db.t");
        assertEquals(List.of(), spec.columns());
        assertNull(spec.shard());
        assertEquals("", spec.columnList());
        assertEquals("INSERT INTO `db`.`t`", spec.insertInto());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "t                          | INSERT INTO `t`",
            "_t1.T_2                    | INSERT INTO `_t1`.`T_2`",
            "db.t@12                    | INSERT INTO `db`.`t`",
            "db.t@a-b(x)                | INSERT INTO `db`.`t` (`x`)",
            "\"  db.t (a) \"            | INSERT INTO `db`.`t` (`a`)",
            "`my db`.`select`(`from`)   | INSERT INTO `my db`.`select` (`from`)",
            "`a\\`b`.`c\\\\d`           | INSERT INTO `a\\`b`.`c\\\\d`",
            "`таблица`(`колонка`)       | INSERT INTO `таблица` (`колонка`)",
    })
    void accepts(String table, String insertInto) {
        assertEquals(insertInto, TableSpec.parse(table).insertInto());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "t; DROP TABLE users", "t(a) VALUES (1)", "db.t(a,b); --", "`t`; SELECT 1", "t--", "t/*x*/",
            "t(a) FORMAT TSV", "db.t(a`,b)", "t(`a)", "t(a, b) SETTINGS x=1", "t(a, (SELECT 1))",
            "t('a')", "t(\"a\")", "t(a+b)", "db.`t\\` + 1", "t WHERE 1", "t\n", "t\r", "`a\nb`",
            "`a\\nb`", "`a\\x`", "``", "db..t", ".t", "t.", "db.t.x", "t@", "t@x y", "t@(a)", "t@a.b",
            "t(a,,b)", "t(a", "t)", "t()", "t(,a)", "t(a,)", "1t", "t(1a)", "t(a b)", "t(a,a)", "таблица",
            "t(a)(b)", "db .t", "db. t", "t @1", "t\u0000", "t\u00a0", "`t`x", "`x``"})
    void rejects(String table) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> TableSpec.parse(table));
        assertEquals(ProtocolException.Kind.BAD_TABLE, e.kind(), e::getMessage);
        assertTrue(e.getMessage().matches("(?s)bad table string \".*\": .*(position \\d+|end of string).*"), e.getMessage());
    }

    @Test
    void errorsNameTheOffendingPosition() {
        assertEquals("bad table string \"db.t(a; DROP)\": expected ',' or ')' at position 6, found ';'",
                assertThrows(ProtocolException.class, () -> TableSpec.parse("db.t(a; DROP)")).getMessage());
        assertEquals("bad table string \"t(a,a)\": column `a` is listed twice (position 4)",
                assertThrows(ProtocolException.class, () -> TableSpec.parse("t(a,a)")).getMessage());
        assertEquals("bad table string \"`abc\": unterminated back-quoted identifier starting at position 0",
                assertThrows(ProtocolException.class, () -> TableSpec.parse("`abc")).getMessage());
        assertEquals("bad table string \"t\\u000a\": unexpected '\\u000a' at position 1",
                assertThrows(ProtocolException.class, () -> TableSpec.parse("t\n")).getMessage());
    }

    @Test
    void thousandsOfColumnsFitTheLimitAndDuplicatesAreFound() {
        List<String> names = new ArrayList<>();
        for (int i = 0; names.size() < 4000; i++) {
            names.add(letters(i));
        }
        String list = String.join(",", names);
        String table = "db.t(" + list + ")";
        assertTrue(table.length() <= Kitten.MAX_TABLE_BYTES, "the table string fits a frame: " + table.length());
        assertEquals(names, TableSpec.parse(table).columns());

        String duplicated = "db.t(" + list + "," + names.get(1234) + ")";
        String message = assertThrows(ProtocolException.class, () -> TableSpec.parse(duplicated)).getMessage();
        int at = duplicated.length() - 1 - names.get(1234).length();
        assertTrue(message.endsWith(": column `" + names.get(1234) + "` is listed twice (position " + at + ")"),
                message);
    }

    /** Distinct short identifiers: a, b, ..., Z, aa, ab, ... */
    private static String letters(int i) {
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        StringBuilder b = new StringBuilder();
        int n = i;
        do {
            b.append(alphabet.charAt(n % alphabet.length()));
            n = n / alphabet.length() - 1;
        } while (n >= 0);
        return b.toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\t "})
    void emptyTable(String table) {
        assertEquals(ProtocolException.Kind.EMPTY_TABLE,
                assertThrows(ProtocolException.class, () -> TableSpec.parse(table)).kind());
    }

    @Test
    void tooLongTable() {
        String table = "t(" + "a,".repeat(Kitten.MAX_TABLE_BYTES / 2) + "b)";
        assertEquals(ProtocolException.Kind.TABLE_TOO_LONG,
                assertThrows(ProtocolException.class, () -> TableSpec.parse(table)).kind());
    }

    @Test
    void quotingNeutralisesEveryInjectionAttempt() {
        TableSpec spec = TableSpec.parse("db.`t\\` (x) VALUES (1); DROP TABLE y; --`(`a\\\\`)");
        assertEquals("t` (x) VALUES (1); DROP TABLE y; --", spec.table());
        assertEquals("a\\", spec.columns().get(0));
        assertEquals("INSERT INTO `db`.`t\\` (x) VALUES (1); DROP TABLE y; --` (`a\\\\`)", spec.insertInto());
        assertEquals(spec, TableSpec.parse(spec.withoutShard()));
    }

    @Test
    void canonicalTextParsesBackToTheSameSpec() {
        RandomFrames random = new RandomFrames(42);
        for (int i = 0; i < 2000; i++) {
            TableSpec spec = random.tableSpec();
            assertEquals(spec, TableSpec.parse(spec.toString()), spec::toString);
            TableSpec noShard = TableSpec.parse(spec.withoutShard());
            assertNull(noShard.shard());
            assertEquals(spec, new TableSpec(noShard.database(), noShard.table(), noShard.columns(), spec.shard()));
        }
    }

    @Test
    void constructorRefusesWhatCouldNotBeParsed() {
        assertThrows(IllegalArgumentException.class, () -> new TableSpec(null, "", List.of(), null));
        assertThrows(IllegalArgumentException.class, () -> new TableSpec("db", "t\n", List.of(), null));
        assertThrows(IllegalArgumentException.class, () -> new TableSpec("db", "t", List.of("a\u0000"), null));
        assertThrows(IllegalArgumentException.class, () -> new TableSpec("db", "t", List.of(), "a b"));
    }
}
