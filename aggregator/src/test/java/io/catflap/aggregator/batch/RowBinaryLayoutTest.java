package io.catflap.aggregator.batch;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class RowBinaryLayoutTest {
    private static final RowBinaryLayout LAYOUT = RowBinaryLayout.of(
            List.of("id", "name", "tags", "score", "code", "at", "kv", "lc", "price", "pair"),
            List.of("UInt32", "String", "Array(Nullable(String))", "Nullable(Float64)", "FixedString(3)",
                    "DateTime('Europe/Moscow')", "Map(String, UInt8)", "LowCardinality(String)", "Decimal(18, 4)",
                    "Tuple(a Enum8('x,)' = 1, 'y' = 2), b Int16)")).orElseThrow();

    /** One row of {@link #LAYOUT}: 4 + (1+n) + (1 + elements) + 9|1 + 3 + 4 + ... bytes. */
    private static ByteBuf row(int id, String name, boolean nullScore) {
        ByteBuf b = Unpooled.buffer();
        b.writeIntLE(id);
        string(b, name);
        b.writeByte(2).writeByte(1).writeByte(0);   // [NULL, ...
        string(b, "t".repeat(200));                 // ... a string with a two-byte length]
        if (nullScore) {
            b.writeByte(1);
        } else {
            b.writeByte(0).writeDoubleLE(1.5);
        }
        b.writeBytes("abc".getBytes(StandardCharsets.US_ASCII));
        b.writeIntLE(1_700_000_000);
        b.writeByte(1);
        string(b, "k");
        b.writeByte(7);
        string(b, "low");
        b.writeLongLE(12345);
        b.writeByte(2).writeShortLE(-3);
        return b;
    }

    private static void string(ByteBuf b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        int n = bytes.length;
        while (n >= 0x80) {
            b.writeByte(n & 0x7f | 0x80);
            n >>>= 7;
        }
        b.writeByte(n);
        b.writeBytes(bytes);
    }

    @Test
    void walksEveryTypeAndCountsRows() throws MalformedBody {
        ByteBuf body = Unpooled.wrappedBuffer(row(1, "a", false), row(2, "ü", true), row(3, "", false));
        assertEquals(3, LAYOUT.rows(body));
    }

    /** Only cuts right after a row are accepted, with the rows before them; every other cut names the row. */
    @Test
    void everySplitIsRefusedUnlessItEndsARow() throws MalformedBody {
        ByteBuf one = row(1, "name", false);
        ByteBuf two = row(2, "other", true);
        ByteBuf body = Unpooled.wrappedBuffer(one.copy(), two.copy());
        int first = one.readableBytes();
        for (int cut = 1; cut < body.readableBytes(); cut++) {
            ByteBuf prefix = body.slice(0, cut);
            if (cut == first) {
                assertEquals(1, LAYOUT.rows(prefix));
            } else {
                String message = assertThrows(MalformedBody.class, () -> LAYOUT.rows(prefix)).getMessage();
                assertTrue(message.startsWith("RowBinary body does not end on a row boundary: the body ends inside"
                        + " row " + (cut < first ? 1 : 2) + " "), message);
            }
        }
    }

    @Test
    void strayBytesAfterGoodRowsAreNamed() {
        ByteBuf body = Unpooled.wrappedBuffer(row(1, "a", false), Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
        String message = assertThrows(MalformedBody.class, () -> LAYOUT.rows(body)).getMessage();
        assertTrue(message.contains("row 2 (its last 3 bytes do not hold a complete row: column `id` UInt32 is"
                + " cut)"), message);
    }

    @Test
    void typesThatCannotBeWalkedGiveNoLayout() {
        for (String type : List.of("AggregateFunction(uniq, UInt64)", "Object('json')", "Nested(a UInt8)",
                "Array()", "FixedString(0)", "Decimal(0, 1)", "Nullable(Nothing)", "UInt32 junk", "Tuple(")) {
            assertTrue(RowBinaryLayout.of(List.of("c"), List.of(type)).isEmpty(), type);
        }
        assertTrue(RowBinaryLayout.of(List.of("c"), List.of("Array(Tuple(String, Nullable(Decimal(38, 2))))"))
                .isPresent());
    }

    /** Any bytes: rows or a bounded message, never an exception, in time linear in the body. */
    @Test
    void randomBytesGetRowsOrAPreciseError() {
        Random random = new Random(7);
        ByteBuf good = row(9, "seed", false);
        byte[] template = new byte[good.readableBytes()];
        good.getBytes(0, template);
        for (int n = 0; n < 20_000; n++) {
            byte[] body = new byte[random.nextInt(3 * template.length)];
            for (int i = 0; i < body.length; i++) {
                body[i] = random.nextInt(3) == 0 ? (byte) random.nextInt(256) : template[i % template.length];
            }
            try {
                assertTrue(LAYOUT.rows(Unpooled.wrappedBuffer(body)) >= 0);
            } catch (MalformedBody e) {
                assertTrue(e.getMessage().length() < 400, e.getMessage());
            } catch (RuntimeException e) {
                fail("exception for body " + n, e);
            }
        }
    }
}
