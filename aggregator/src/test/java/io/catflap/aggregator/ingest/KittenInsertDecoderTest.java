package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.batch.InsertFormat;
import io.catflap.protocol.Kitten;
import io.catflap.protocol.Lz4Body;
import io.catflap.protocol.ProtocolException;
import io.catflap.protocol.RequestFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a KITTEN frame decodes into: a whole {@link Insert} or a {@link Refusal}. */
class KittenInsertDecoderTest {
    private static final int MAX_REQUEST_BYTES = 1024;

    private EmbeddedChannel ch = channel(false);

    private static EmbeddedChannel channel(boolean dedup) {
        return new EmbeddedChannel(new KittenInsertDecoder(MAX_REQUEST_BYTES, new AccessPolicy.Grant(null,
                spec -> !"secret".equals(spec.database()), AccessPolicy.Queries.NONE, "t0k"), dedup));
    }

    @AfterEach
    void releaseAll() {
        ch.finishAndReleaseAll();
    }

    private static RequestFrame frame(int flags, String table, String body) {
        return new RequestFrame(flags, table, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
    }

    private <T> T only(Class<T> type) {
        Object msg = ch.readInbound();
        assertNull(ch.readInbound(), "one message only");
        return assertInstanceOf(type, msg);
    }

    @Test
    void aFrameBecomesOneWholeInsert() {
        ch.writeInbound(frame(0, "db.t(a,b)", "(1,2)"));
        Insert insert = only(Insert.class);
        assertTrue(insert.whole());
        assertEquals(InsertFormat.VALUES, insert.key().format());
        assertEquals("(1,2)", insert.content().toString(StandardCharsets.UTF_8));
        assertNull(insert.dedupKey());
        insert.release();

        ch.writeInbound(frame(Kitten.FLAG_ROW_BINARY, "db.t(a,b)", "xx"));
        Insert rowBinary = only(Insert.class);
        assertEquals(InsertFormat.ROW_BINARY, rowBinary.key().format());
        rowBinary.release();
    }

    @Test
    void theKeysOfTheTableStringsAConnectionWritesAreReused() {
        ch.writeInbound(frame(0, "db.t(a)", "(1)"), frame(0, "db.u(a)", "(2)"), frame(0, "db.t(a)", "(3)"),
                frame(Kitten.FLAG_ROW_BINARY, "db.t(a)", "x"));
        Insert t = ch.readInbound();
        Insert u = ch.readInbound();
        Insert again = ch.readInbound();
        Insert rowBinary = ch.readInbound();
        assertSame(t.key(), again.key());
        assertEquals("db.u", u.key().tableName());
        assertEquals(InsertFormat.ROW_BINARY, rowBinary.key().format(), "a table string is parsed per format");
        for (Insert i : new Insert[] {t, u, again, rowBinary}) {
            i.release();
        }
    }

    @Test
    void aBadOrForbiddenTableIsRefusedAndTheConnectionGoesOn() {
        ch.writeInbound(frame(0, "db.t(a", "(1)"));
        Refusal bad = only(Refusal.class);
        assertEquals(400, bad.status());
        assertFalse(bad.close());
        ch.writeInbound(frame(0, "secret.t(a)", "(1)"));
        Refusal forbidden = only(Refusal.class);
        assertEquals(403, forbidden.status());
        assertEquals("forbidden_table", forbidden.reason());
        ch.writeInbound(frame(0, "db.t(a)", "(1)"));
        only(Insert.class).release();
    }

    @Test
    void anLz4BodyIsInflatedAndABombRefusedBeforeInflating() {
        ByteBuf raw = Unpooled.copiedBuffer("(1),(2)", StandardCharsets.UTF_8);
        ch.writeInbound(new RequestFrame(Kitten.FLAG_LZ4, "db.t(a)", Lz4Body.compress(raw, ByteBufAllocator.DEFAULT)));
        raw.release();
        Insert insert = only(Insert.class);
        assertEquals("(1),(2)", insert.content().toString(StandardCharsets.UTF_8));
        insert.release();

        ByteBuf bomb = Unpooled.buffer(MAX_REQUEST_BYTES * 4).writeZero(MAX_REQUEST_BYTES * 4);
        ch.writeInbound(new RequestFrame(Kitten.FLAG_LZ4, "db.t(a)", Lz4Body.compress(bomb, ByteBufAllocator.DEFAULT)));
        bomb.release();
        Refusal r = only(Refusal.class);
        assertEquals("bad_lz4", r.reason());
        assertFalse(r.close());
    }

    @Test
    void idempotencyKeysCountOnlyWhereTheConnectionAskedForThem() {
        byte[] key = new byte[Kitten.IDEMPOTENCY_KEY_BYTES];
        ch.writeInbound(new RequestFrame(Kitten.FLAG_IDEMPOTENCY_KEY, "db.t(a)", key, Unpooled.wrappedBuffer(
                "(1)".getBytes(StandardCharsets.UTF_8))));
        Insert ignored = only(Insert.class);
        assertNull(ignored.dedupKey());
        ignored.release();

        ch.finishAndReleaseAll();
        ch = channel(true);
        ch.writeInbound(new RequestFrame(Kitten.FLAG_IDEMPOTENCY_KEY, "db.t(a)", key, Unpooled.wrappedBuffer(
                "(1)".getBytes(StandardCharsets.UTF_8))));
        Insert keyed = only(Insert.class);
        assertNotNull(keyed.dedupKey());
        keyed.release();
    }

    @Test
    void aFrameTheCodecCouldNotDecodeIsRefusedAndEndsTheConnection() {
        ch.pipeline().fireExceptionCaught(new DecoderException(
                new ProtocolException(ProtocolException.Kind.BODY_TOO_LARGE, "body of 99 MiB over the limit")));
        Refusal r = only(Refusal.class);
        assertEquals(413, r.status());
        assertTrue(r.close());
        assertTrue(ch.isOpen(), "closed by the insert handler once the answers before it were written");
    }
}
