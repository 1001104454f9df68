package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

import static io.catflap.protocol.ProtocolException.Kind.BAD_HANDSHAKE;
import static io.catflap.protocol.ProtocolException.Kind.BAD_IDEMPOTENCY_KEY;
import static io.catflap.protocol.ProtocolException.Kind.BAD_LZ4;
import static io.catflap.protocol.ProtocolException.Kind.BAD_RESPONSE;
import static io.catflap.protocol.ProtocolException.Kind.BAD_TABLE;
import static io.catflap.protocol.ProtocolException.Kind.BODY_TOO_LARGE;
import static io.catflap.protocol.ProtocolException.Kind.EMPTY_TABLE;
import static io.catflap.protocol.ProtocolException.Kind.HANDSHAKE_TOO_LARGE;
import static io.catflap.protocol.ProtocolException.Kind.MESSAGE_TOO_LARGE;
import static io.catflap.protocol.ProtocolException.Kind.TABLE_TOO_LONG;
import static io.catflap.protocol.ProtocolException.Kind.TRUNCATED;
import static io.catflap.protocol.ProtocolException.Kind.UNKNOWN_FLAGS;
import static io.catflap.protocol.TestBytes.golden;
import static io.catflap.protocol.TestBytes.pooled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each invalid input gives its own kind and a message that says what was wrong. The bad bytes are given
 * alone — without the rest of a frame — to show each check fires as soon as its field arrives.
 */
class ProtocolErrorsTest {
    private static final int MAX_BODY = 1000;
    private static final Set<ProtocolException.Kind> SEEN = EnumSet.noneOf(ProtocolException.Kind.class);

    private static final Function<ByteBuf, Object> REQUEST = in -> FrameCodec.decodeRequest(in, MAX_BODY);
    private static final Function<ByteBuf, Object> RESPONSE = in -> FrameCodec.decodeResponse(in, 100);
    private static final Function<ByteBuf, Object> HANDSHAKE = in -> Handshake.decode(in, 256);
    private static final Function<ByteBuf, Object> REPLY = in -> HandshakeReply.decode(in, 256);
    private static final Function<ByteBuf, Object> LZ4 = in -> Lz4Body.decompress(in, MAX_BODY, PooledByteBufAllocator.DEFAULT);

    static Stream<Arguments> invalid() {
        return Stream.of(
                bad("request flags with an unknown bit", REQUEST, "08", UNKNOWN_FLAGS, "request flags 0x08 have unknown bits 0x08"),
                bad("idempotency key flag with a 15-byte body", REQUEST, "04 0100 74 0f000000", BAD_IDEMPOTENCY_KEY,
                        "request flag 0x04 needs a body starting with a 16-byte idempotency key, but the body is 15 bytes"),
                bad("request flags with the top bit", REQUEST, "81", UNKNOWN_FLAGS, "unknown bits 0x80"),
                bad("response flags other than 0", RESPONSE, "01", UNKNOWN_FLAGS, "response flags 0x01 have unknown bits 0x01"),
                bad("zero-length table", REQUEST, "00 0000", EMPTY_TABLE, "empty table string"),
                bad("table longer than the limit", REQUEST, "00 0140", TABLE_TOO_LONG, "table string of 16385 bytes is over the limit of 16384"),
                bad("table of 65535 bytes", REQUEST, "01 ffff", TABLE_TOO_LONG, "65535 bytes"),
                bad("table not UTF-8", REQUEST, "00 0200 c328 00000000", BAD_TABLE, "not valid UTF-8"),
                bad("body over the limit, no body sent", REQUEST, "00 0100 74 e9030000", BODY_TOO_LARGE, "request body of 1001 bytes is over the limit of 1000"),
                bad("body of 4 GiB - 1", REQUEST, "01 0100 74 ffffffff", BODY_TOO_LARGE, "4294967295 bytes"),
                bad("status 0", RESPONSE, "00 00000000", BAD_RESPONSE, "response status 0 is outside 100..599"),
                bad("status 600", RESPONSE, "00 58020000", BAD_RESPONSE, "status 600"),
                bad("status 2^32-1", RESPONSE, "00 ffffffff", BAD_RESPONSE, "status 4294967295"),
                bad("message over the limit, no message sent", RESPONSE, "00 f4010000 65000000", MESSAGE_TOO_LARGE, "response message of 101 bytes is over the limit of 100"),
                bad("plain HTTP instead of KITTEN", HANDSHAKE, ascii("GET / HTTP/1.1\r\n\r\n"), BAD_HANDSHAKE, "does not start with \"KITTEN\" (byte 0 is 0x47)"),
                bad("almost KITTEN, refused before the line ends", HANDSHAKE, ascii("KITTEX"), BAD_HANDSHAKE, "byte 5 is 0x58"),
                bad("request line without version", HANDSHAKE, ascii("KITTEN /\n\n"), BAD_HANDSHAKE, "request line is not \"KITTEN <target> HTTP/1.1\": \"KITTEN /\""),
                bad("request line with HTTP/2", HANDSHAKE, ascii("KITTEN / HTTP/2\n\n"), BAD_HANDSHAKE, "\"KITTEN / HTTP/2\""),
                bad("header without colon", HANDSHAKE, ascii("KITTEN / HTTP/1.1\nno colon here\n\n"), BAD_HANDSHAKE, "header line without a name: \"no colon here\""),
                bad("header name with space", HANDSHAKE, ascii("KITTEN / HTTP/1.1\nBad Name: x\n\n"), BAD_HANDSHAKE, "invalid header name \"Bad Name\""),
                bad("folded header", HANDSHAKE, ascii("KITTEN / HTTP/1.1\nA: b\n c\n\n"), BAD_HANDSHAKE, "folded header line"),
                bad("bare CR inside a line", HANDSHAKE, ascii("KITTEN / HTTP/1.1\nA: b\rc\n\n"), BAD_HANDSHAKE, "control byte 0x0d at offset 22"),
                bad("NUL in the handshake", HANDSHAKE, ascii("KITTEN /\0 HTTP/1.1\n\n"), BAD_HANDSHAKE, "control byte 0x00 at offset 8"),
                bad("handshake without an end", HANDSHAKE, ascii("KITTEN / HTTP/1.1\nX: " + "y".repeat(300)), HANDSHAKE_TOO_LARGE, "no end of headers within 256 bytes"),
                bad("reply that is not HTTP", REPLY, ascii("SSH-2.0-OpenSSH\r\n"), BAD_HANDSHAKE, "does not start with \"HTTP/1.\""),
                bad("reply with a bad status", REPLY, ascii("HTTP/1.1 2OO OK\r\n\r\n"), BAD_HANDSHAKE, "malformed status line: \"HTTP/1.1 2OO OK\""),
                bad("reply with a bad Content-Length", REPLY, ascii("HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\n"), BAD_HANDSHAKE, "invalid Content-Length: \"-4\""),
                bad("reply declaring a body over the limit", REPLY, ascii("HTTP/1.1 404 Not Found\r\nContent-Length: 1000\r\n\r\n"), HANDSHAKE_TOO_LARGE, "declares a body of 1000 bytes"),
                bad("LZ4 body under 4 bytes", LZ4, "2900", BAD_LZ4, "LZ4 body of 2 bytes is shorter than its 4-byte raw length"),
                bad("LZ4 raw length over the limit", LZ4, "e9030000 00", BODY_TOO_LARGE, "LZ4 body declares 1001 raw bytes, over the limit of 1000"),
                bad("LZ4 raw length the block cannot hold", LZ4, "e8030000 00", BAD_LZ4, "declares 1000 raw bytes, more than its 1-byte block can hold"),
                bad("LZ4 block with an offset before the start", LZ4, "14000000 1f 61 ff00 00 50 6161616161", BAD_LZ4, "corrupt LZ4 block"),
                bad("LZ4 block shorter than declared", LZ4, "2a000000" + lz4Block(), BAD_LZ4, "LZ4 block"),
                bad("LZ4 block longer than declared", LZ4, "28000000" + lz4Block(), BAD_LZ4, "corrupt LZ4 block"),
                bad("LZ4 block cut short", LZ4, "29000000" + lz4Block().substring(0, 20), BAD_LZ4, "corrupt LZ4 block"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void isRefusedWithItsOwnKind(String name, Function<ByteBuf, Object> decoder, byte[] input,
                                 ProtocolException.Kind kind, String message) {
        ByteBuf in = pooled(input);
        try {
            ProtocolException e = assertThrows(ProtocolException.class, () -> decoder.apply(in));
            assertEquals(kind, e.kind(), e::toString);
            assertTrue(e.getMessage().contains(message), () -> "message \"" + e.getMessage() + "\" lacks \"" + message + "\"");
            SEEN.add(kind);
        } finally {
            in.release();
        }
    }

    @Test
    void truncatedStreams() throws Exception {
        byte[] request = golden("request-values.hex");
        assertNull(KittenStreams.readRequest(new ByteArrayInputStream(new byte[0]), MAX_BODY), "clean end of stream");
        for (int n = 1; n < request.length; n++) {
            var in = new ByteArrayInputStream(request, 0, n);
            ProtocolException e = assertThrows(ProtocolException.class, () -> KittenStreams.readRequest(in, MAX_BODY));
            assertEquals(TRUNCATED, e.kind(), e::toString);
        }
        byte[] response = golden("response-error.hex");
        for (int n = 0; n < response.length; n++) {
            var in = new ByteArrayInputStream(response, 0, n);
            ProtocolException e = assertThrows(ProtocolException.class, () -> KittenStreams.readResponse(in, 100));
            assertEquals(TRUNCATED, e.kind(), e::toString);
        }
        byte[] reply = golden("reply-meow.hex");
        for (int n = 0; n < reply.length; n++) {
            var in = new ByteArrayInputStream(reply, 0, n);
            ProtocolException e = assertThrows(ProtocolException.class, () -> KittenStreams.readHandshakeReply(in));
            assertEquals(TRUNCATED, e.kind(), e::toString);
        }
        // A body declared at 20 MiB with 10 bytes sent: read as it arrives, reported precisely.
        byte[] huge = HexFormat.of().parseHex("00 0100 74 00004001 30313233343536373839".replace(" ", ""));
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> KittenStreams.readRequest(new ByteArrayInputStream(huge), Kitten.DEFAULT_MAX_BODY_BYTES));
        assertEquals("stream ended after 10 of 20971520 bytes of the request body", e.getMessage());
        SEEN.add(TRUNCATED);
    }

    @Test
    void blockingReadersApplyTheSameChecks() {
        byte[] tooLarge = HexFormat.of().parseHex("000100" + "74" + "e9030000");
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> KittenStreams.readRequest(new ByteArrayInputStream(tooLarge), MAX_BODY));
        assertEquals(BODY_TOO_LARGE, e.kind());
        byte[] badStatus = HexFormat.of().parseHex("00" + "00000000" + "00000000");
        e = assertThrows(ProtocolException.class, () -> KittenStreams.readResponse(new ByteArrayInputStream(badStatus), 100));
        assertEquals(BAD_RESPONSE, e.kind());
    }

    @Test
    void nettyDecoderSurfacesTheErrorAndDropsTheRestOfTheStream() {
        EmbeddedChannel channel = new EmbeddedChannel(new RequestFrameDecoder(MAX_BODY));
        DecoderException e = assertThrows(DecoderException.class, () -> channel.writeInbound(pooled(new byte[]{0x08})));
        ProtocolException cause = assertInstanceOf(ProtocolException.class, e.getCause());
        assertEquals(UNKNOWN_FLAGS, cause.kind());
        // A valid frame after the error must not be decoded from an out-of-step stream.
        channel.writeInbound(pooled(golden("request-values.hex")));
        assertNull(channel.readInbound());
        channel.finishAndReleaseAll();
    }

    @Test
    void frameConstructorReleasesTheBodyItRefuses() {
        ByteBuf body = PooledByteBufAllocator.DEFAULT.buffer(4).writeInt(1);
        assertThrows(IllegalArgumentException.class, () -> new RequestFrame(0x08, "t", body));
        assertEquals(0, body.refCnt());
        ByteBuf body2 = PooledByteBufAllocator.DEFAULT.buffer(4).writeInt(1);
        assertThrows(IllegalArgumentException.class, () -> new RequestFrame(0, "", body2));
        assertEquals(0, body2.refCnt());
        ByteBuf body3 = PooledByteBufAllocator.DEFAULT.buffer(4).writeInt(1);
        assertThrows(IllegalArgumentException.class, () -> new RequestFrame(Kitten.FLAG_IDEMPOTENCY_KEY, "t", body3),
                "flag 0x04 without a key");
        assertEquals(0, body3.refCnt());
        ByteBuf body4 = PooledByteBufAllocator.DEFAULT.buffer(4).writeInt(1);
        assertThrows(IllegalArgumentException.class, () -> new RequestFrame(0, "t", new byte[16], body4),
                "a key without flag 0x04");
        assertEquals(0, body4.refCnt());
        ByteBuf body5 = PooledByteBufAllocator.DEFAULT.buffer(4).writeInt(1);
        assertThrows(IllegalArgumentException.class,
                () -> new RequestFrame(Kitten.FLAG_IDEMPOTENCY_KEY, "t", new byte[15], body5), "a short key");
        assertEquals(0, body5.refCnt());
    }

    @AfterAll
    static void everyKindIsCovered() {
        Set<ProtocolException.Kind> missing = EnumSet.allOf(ProtocolException.Kind.class);
        missing.removeAll(SEEN);
        missing.remove(BAD_TABLE); // malformed table syntax: TableSpecTest
        missing.remove(EMPTY_TABLE);
        assertEquals(Set.of(), missing, "kinds without an invalid-input test here");
    }

    /** The golden LZ4 block for "('kitten'),('kitten'),('kitten'),('meow')" (41 bytes). */
    private static String lz4Block() {
        return "bf" + "28276b697474656e27292c" + "0b0003" + "80" + "28276d656f772729";
    }

    private static Arguments bad(String name, Function<ByteBuf, Object> decoder, String hex,
                                 ProtocolException.Kind kind, String message) {
        return bad(name, decoder, HexFormat.of().parseHex(hex.replace(" ", "")), kind, message);
    }

    private static Arguments bad(String name, Function<ByteBuf, Object> decoder, byte[] input,
                                 ProtocolException.Kind kind, String message) {
        return Arguments.of(name, decoder, input, kind, message);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
