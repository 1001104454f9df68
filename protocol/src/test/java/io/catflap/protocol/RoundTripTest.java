package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Random frames, back to back in one buffer, decode to exactly what was encoded. */
class RoundTripTest {
    @Test
    void requestFrames() {
        RandomFrames random = new RandomFrames(20181105);
        List<RequestFrame> sent = new ArrayList<>();
        ByteBuf wire = PooledByteBufAllocator.DEFAULT.buffer();
        for (int i = 0; i < 300; i++) {
            RequestFrame frame = random.request();
            FrameCodec.encodeRequest(frame.flags(), frame.table(), frame.idempotencyKey(), frame.content(), wire);
            assertEquals(0, frame.content().readerIndex(), "encoding must not move the body");
            sent.add(frame);
        }
        for (RequestFrame expected : sent) {
            RequestFrame got = FrameCodec.decodeRequest(wire, Kitten.DEFAULT_MAX_BODY_BYTES);
            assertEquals(expected, got);
            got.release();
            expected.release();
        }
        assertNull(FrameCodec.decodeRequest(wire, Kitten.DEFAULT_MAX_BODY_BYTES));
        assertFalse(wire.isReadable());
        assertTrue(wire.release(), "decoded bodies must not keep the wire buffer alive");
    }

    @Test
    void responseFrames() {
        RandomFrames random = new RandomFrames(2018);
        List<ResponseFrame> sent = new ArrayList<>();
        ByteBuf wire = PooledByteBufAllocator.DEFAULT.buffer();
        for (int i = 0; i < 300; i++) {
            ResponseFrame frame = random.response();
            FrameCodec.encodeResponse(frame, wire);
            sent.add(frame);
        }
        for (ResponseFrame expected : sent) {
            assertEquals(expected, FrameCodec.decodeResponse(wire, Kitten.MAX_RESPONSE_MESSAGE_BYTES));
        }
        assertFalse(wire.isReadable());
        wire.release();
    }

    @Test
    void longMessagesAreCutAtACharacterBoundaryToWhatKittenhouseAccepts() {
        // 3-byte characters: the limit (16384) falls inside one, so the cut must back up to 16383.
        String message = "€".repeat(Kitten.MAX_RESPONSE_MESSAGE_BYTES);
        ByteBuf wire = PooledByteBufAllocator.DEFAULT.buffer();
        FrameCodec.encodeResponse(new ResponseFrame(500, message), wire);
        assertEquals(16383, wire.getIntLE(5));
        ResponseFrame got = FrameCodec.decodeResponse(wire, Kitten.MAX_RESPONSE_MESSAGE_BYTES);
        assertEquals("€".repeat(16383 / 3), got.message());
        assertEquals(500, got.status());
        wire.release();
    }

    @Test
    void tableStringsKeepTheirUtf8() {
        String table = "`таблица`.`\uD83D\uDC31 \\` cat`(`ж`)";
        ByteBuf wire = PooledByteBufAllocator.DEFAULT.buffer();
        byte[] body = "(1)".getBytes(StandardCharsets.US_ASCII);
        FrameCodec.encodeRequest(0, table, io.netty.buffer.Unpooled.wrappedBuffer(body), wire);
        assertEquals(table.getBytes(StandardCharsets.UTF_8).length, wire.getUnsignedShortLE(1));
        RequestFrame got = FrameCodec.decodeRequest(wire, 100);
        assertEquals(table, got.table());
        assertEquals(new TableSpec("таблица", "\uD83D\uDC31 ` cat", List.of("ж"), null), TableSpec.parse(got.table()));
        got.release();
        wire.release();
    }
}
