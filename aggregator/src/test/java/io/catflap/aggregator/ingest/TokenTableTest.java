package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.protocol.TableSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenTableTest {

    @Test
    void tokensAllowTheirTablesOnly() {
        TokenTable t = TokenTable.parse(List.of("# comment", "", "a logs.*, metrics.events", "b *", "c events"));
        assertTrue(t.required());
        assertTrue(t.access("a").orElseThrow().test(TableSpec.parse("logs.anything(x)")));
        assertTrue(t.access("a").orElseThrow().test(TableSpec.parse("metrics.events")));
        assertFalse(t.access("a").orElseThrow().test(TableSpec.parse("metrics.other")));
        assertFalse(t.access("a").orElseThrow().test(TableSpec.parse("events")));
        assertTrue(t.access("b").orElseThrow().test(TableSpec.parse("x.y")));
        assertTrue(t.access("c").orElseThrow().test(TableSpec.parse("events")));
        assertFalse(t.access("c").orElseThrow().test(TableSpec.parse("db.events")));
        assertTrue(t.access("unknown").isEmpty());
        assertTrue(t.access(null).isEmpty());
    }

    @Test
    void noFileNeedsNoToken() {
        assertFalse(TokenTable.none().required());
        assertTrue(TokenTable.none().access(null).orElseThrow().test(TableSpec.parse("t")));
    }

    @Test
    void aReloadReadsTheFileAgainAndABadFileKeepsTheTokens(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("tokens"), "old *\n");
        TokenTable t = TokenTable.load(file);
        Files.writeString(file, "old *\nnew logs.*\n");
        t.reload();
        assertTrue(t.access("new").orElseThrow().test(TableSpec.parse("logs.x")));
        Files.writeString(file, "old *\nlonely\n");
        assertThrows(IllegalArgumentException.class, t::reload);
        assertTrue(t.access("new").isPresent());
        Files.delete(file);
        assertThrows(IOException.class, t::reload);
        assertTrue(t.access("old").isPresent());
    }

    @Test
    void aLineWithoutTablesIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TokenTable.parse(List.of("ok *", "lonely")));
        assertEquals("token line 2: expected '<token> <tables>'", e.getMessage());
    }
}
