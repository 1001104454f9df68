package io.catflap.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A connection's decoder hands out a recent frame's table string for the same bytes, and decodes every new one. */
class RecentTablesTest {
    @Test
    void theSameTableBytesGiveTheSameStringAndAChangeIsDecoded() {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestFrameDecoder(1 << 20));
        ch.writeInbound(frames("db.t(a)", "db.t(a)", "db.ü(a)", "db.t(b)", "db.t(b)"));
        RequestFrame[] got = new RequestFrame[5];
        for (int i = 0; i < got.length; i++) {
            got[i] = ch.readInbound();
        }
        assertEquals("db.t(a)", got[0].table());
        assertSame(got[0].table(), got[1].table(), "repeated bytes: the string of the frame before");
        assertEquals("db.ü(a)", got[2].table(), "multi-byte UTF-8 decoded");
        assertEquals("db.t(b)", got[3].table(), "same length, other bytes: decoded again");
        assertNotSame(got[0].table(), got[3].table());
        assertSame(got[3].table(), got[4].table());
        for (RequestFrame f : got) {
            f.release();
        }
        ch.finishAndReleaseAll();
    }

    @Test
    void invalidUtf8IsRefusedEvenAfterAValidTable() {
        RecentTables last = new RecentTables();
        ByteBuf valid = Unpooled.copiedBuffer("db.t", StandardCharsets.UTF_8);
        assertEquals("db.t", last.decode(valid, 0, 4));
        ByteBuf invalid = Unpooled.wrappedBuffer(new byte[] {'d', 'b', '.', (byte) 0xff});
        ProtocolException e = assertThrows(ProtocolException.class, () -> last.decode(invalid, 0, 4));
        assertEquals(ProtocolException.Kind.BAD_TABLE, e.kind());
        assertEquals("db.t", last.decode(valid, 0, 4), "the valid table is still remembered");
        valid.release();
        invalid.release();
    }

    /** A sender that writes to its tables in turn: each table's string is decoded once, while they fit. */
    @Test
    void tablesInTurnAreDecodedOnceEach() {
        RecentTables recent = new RecentTables();
        String[] first = new String[RecentTables.SIZE];
        for (int round = 0; round < 3; round++) {
            for (int t = 0; t < RecentTables.SIZE; t++) {
                ByteBuf b = Unpooled.copiedBuffer("db.t" + t, StandardCharsets.UTF_8);
                String s = recent.decode(b, 0, b.readableBytes());
                b.release();
                assertEquals("db.t" + t, s);
                if (round == 0) {
                    first[t] = s;
                } else {
                    assertSame(first[t], s, "table " + t + " in round " + round);
                }
            }
        }
        ByteBuf other = Unpooled.copiedBuffer("db.u", StandardCharsets.UTF_8);
        assertEquals("db.u", recent.decode(other, 0, 4), "one more: the oldest makes room");
        other.release();
        ByteBuf oldest = Unpooled.copiedBuffer("db.t0", StandardCharsets.UTF_8);
        assertNotSame(first[0], recent.decode(oldest, 0, 5), "decoded again");
        oldest.release();
    }

    private static ByteBuf frames(String... tables) {
        ByteBuf out = Unpooled.buffer();
        for (String t : tables) {
            FrameCodec.encodeRequest(0, t, Unpooled.copiedBuffer("(1)", StandardCharsets.US_ASCII), out);
        }
        return out;
    }
}
