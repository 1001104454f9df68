package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.protocol.TableSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {

    private static TokenFile.Token token(TokenFile file, String token) {
        return file.find(token).orElseThrow();
    }

    @Test
    void tokensAllowTheirTablesOnly() {
        TokenFile f = TokenFile.parse(List.of("# comment", "", "a logs.*, metrics.events", "b *", "c events"));
        assertTrue(token(f, "a").tables().test(TableSpec.parse("logs.anything(x)")));
        assertTrue(token(f, "a").tables().test(TableSpec.parse("metrics.events")));
        assertFalse(token(f, "a").tables().test(TableSpec.parse("metrics.other")));
        assertFalse(token(f, "a").tables().test(TableSpec.parse("events")));
        assertTrue(token(f, "b").tables().test(TableSpec.parse("x.y")));
        assertTrue(token(f, "c").tables().test(TableSpec.parse("events")));
        assertFalse(token(f, "c").tables().test(TableSpec.parse("db.events")));
        assertFalse(token(f, "a").read(), "insert only unless it says read");
        assertTrue(f.find("unknown").isEmpty());
        assertTrue(f.find("A").isEmpty(), "tokens are compared exactly");
    }

    /** ClickHouse resolves names exactly: another case, a quoted dot or a look-alike letter is another table. */
    @Test
    void tableNamesMatchExactly() {
        TokenFile.Token t = token(TokenFile.parse(List.of("t logs.events")), "t");
        assertFalse(t.tables().test(TableSpec.parse("Logs.events")));
        assertFalse(t.tables().test(TableSpec.parse("logs.Events")));
        assertFalse(t.tables().test(TableSpec.parse("`logs.events`")), "one name with a dot in it, no database");
        assertFalse(t.tables().test(TableSpec.parse("`l\u043egs`.events")), "a Cyrillic o");
        assertTrue(t.tables().test(TableSpec.parse("`logs`.`events`")), "quoting alone changes nothing");
    }

    @Test
    void readAndAddressesAreGrantsBesideTables() throws Exception {
        TokenFile f = TokenFile.parse(List.of("r logs.* read from=10.0.0.0/8 from=192.168.1.7", "q read",
                "six * from=fd00::/8"));
        TokenFile.Token r = token(f, "r");
        assertTrue(r.read());
        assertTrue(r.allowedFrom(InetAddress.getByName("10.200.3.4")));
        assertTrue(r.allowedFrom(InetAddress.getByName("192.168.1.7")));
        assertFalse(r.allowedFrom(InetAddress.getByName("192.168.1.8")));
        assertFalse(r.allowedFrom(InetAddress.getByName("11.0.0.1")));
        assertFalse(r.allowedFrom(null), "an unknown address is not in any network");
        assertTrue(r.allowedFrom(InetAddress.getByName("::ffff:10.0.0.1")), "IPv4-mapped is the IPv4 address");
        TokenFile.Token q = token(f, "q");
        assertTrue(q.read());
        assertFalse(q.tables().test(TableSpec.parse("logs.x")), "a reader without tables writes nothing");
        assertTrue(q.allowedFrom(InetAddress.getByName("203.0.113.9")), "no from=: from anywhere");
        TokenFile.Token six = token(f, "six");
        assertTrue(six.allowedFrom(InetAddress.getByName("fd12::1")));
        assertFalse(six.allowedFrom(InetAddress.getByName("fe80::1")));
        assertFalse(six.allowedFrom(InetAddress.getByName("10.0.0.1")));
    }

    @Test
    void badLinesAreRejectedByNumber() {
        assertEquals("token line 2: expected '<token> <tables>' and/or 'read'", assertThrows(
                IllegalArgumentException.class, () -> TokenFile.parse(List.of("ok *", "lonely"))).getMessage());
        assertEquals("token line 1: not an IP address: example.com", assertThrows(IllegalArgumentException.class,
                () -> TokenFile.parse(List.of("t * from=example.com"))).getMessage());
        assertEquals("token line 1: prefix length out of range: 10.0.0.0/33", assertThrows(
                IllegalArgumentException.class, () -> TokenFile.parse(List.of("t * from=10.0.0.0/33"))).getMessage());
        assertEquals("token line 2: the token is listed twice", assertThrows(IllegalArgumentException.class,
                () -> TokenFile.parse(List.of("t a.*", "t b.*"))).getMessage());
    }

    @Test
    void aReloadReadsTheFileAgainAndABadFileKeepsTheTokens(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("tokens"), "old *\n");
        TokenFile t = TokenFile.load(file);
        Files.writeString(file, "old *\nnew logs.*\n");
        t.reload();
        assertTrue(t.find("new").orElseThrow().tables().test(TableSpec.parse("logs.x")));
        Files.writeString(file, "old *\nlonely\n");
        assertThrows(IllegalArgumentException.class, t::reload);
        assertTrue(t.find("new").isPresent(), "a bad file keeps the tokens");
        Files.delete(file);
        assertThrows(IOException.class, t::reload);
        assertTrue(t.find("old").isPresent());
    }
}
