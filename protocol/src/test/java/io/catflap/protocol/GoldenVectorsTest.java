package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static io.catflap.protocol.TestBytes.bytes;
import static io.catflap.protocol.TestBytes.golden;
import static io.catflap.protocol.TestBytes.hex;
import static io.catflap.protocol.TestBytes.pooled;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every message against its committed hex vector, encoded and decoded, through ByteBufs and streams. */
class GoldenVectorsTest {
    private static final int MAX = Kitten.DEFAULT_MAX_BODY_BYTES;

    @Test
    void kittenhouseHandshake() {
        byte[] golden = golden("handshake-kittenhouse.hex");
        assertEquals("KITTEN / HTTP/1.1\n\n", new String(golden, StandardCharsets.US_ASCII));
        assertArrayEquals(golden, Handshake.encode(null));
        assertDecodesFully(golden, in -> Handshake.decode(in, Kitten.MAX_HANDSHAKE_BYTES),
                new Handshake("/", Map.of()));
        assertEquals(Optional.empty(), new Handshake("/", Map.of()).bearerToken());
    }

    @Test
    void bearerHandshakeWithCrlf() {
        byte[] golden = golden("handshake-bearer-crlf.hex");
        assertArrayEquals(golden, Handshake.encode("s3cr3t-token"), () -> hex(Handshake.encode("s3cr3t-token")));
        Handshake expected = new Handshake("/", Map.of("authorization", "Bearer s3cr3t-token"));
        assertDecodesFully(golden, in -> Handshake.decode(in, Kitten.MAX_HANDSHAKE_BYTES), expected);
        assertEquals(Optional.of("s3cr3t-token"), expected.bearerToken());
    }

    @Test
    void handshakeAskingForFeatures() {
        byte[] golden = golden("handshake-features.hex");
        byte[] encoded = Handshake.encode(null, java.util.List.of(Kitten.FEATURE_DEDUP));
        assertArrayEquals(golden, encoded, () -> hex(encoded));
        Handshake expected = new Handshake("/", Map.of("x-catflap-features", "dedup"));
        assertDecodesFully(golden, in -> Handshake.decode(in, Kitten.MAX_HANDSHAKE_BYTES), expected);
        assertEquals(java.util.Set.of("dedup"), expected.features());
        assertEquals(java.util.Set.of(), new Handshake("/", Map.of()).features(), "kittenhouse asks for nothing");
        assertArrayEquals(golden("handshake-kittenhouse.hex"), Handshake.encode(null, java.util.List.of()));
    }

    @Test
    void meowReply() throws IOException {
        byte[] golden = golden("reply-meow.hex");
        assertArrayEquals(golden, HandshakeReply.meow());
        HandshakeReply.Result meow = new HandshakeReply.Result(true, 200, "MEOW");
        assertDecodesFully(golden, in -> HandshakeReply.decode(in, Kitten.MAX_HANDSHAKE_BYTES), meow);
        assertEquals(meow, KittenStreams.readHandshakeReply(new ByteArrayInputStream(golden)));
    }

    @Test
    void meowReplyAdvertisingLz4() throws IOException {
        byte[] golden = golden("reply-meow-lz4.hex");
        assertArrayEquals(golden, HandshakeReply.meow(java.util.List.of(Kitten.FEATURE_LZ4)));
        HandshakeReply.Result meow = new HandshakeReply.Result(true, 200, "MEOW", java.util.Set.of("lz4"));
        assertDecodesFully(golden, in -> HandshakeReply.decode(in, Kitten.MAX_HANDSHAKE_BYTES), meow);
        assertEquals(meow, KittenStreams.readHandshakeReply(new ByteArrayInputStream(golden)));
        assertTrue(meow.lz4());
        assertFalse(new HandshakeReply.Result(true, 200, "MEOW").lz4(), "plain MEOW (kittenhouse) never gets LZ4");
        assertFalse(meow.dedup());
    }

    @Test
    void meowReplyAdvertisingLz4AndDedup() throws IOException {
        byte[] golden = golden("reply-meow-features.hex");
        assertArrayEquals(golden, HandshakeReply.meow(java.util.List.of(Kitten.FEATURE_LZ4, Kitten.FEATURE_DEDUP)));
        HandshakeReply.Result meow = new HandshakeReply.Result(true, 200, "MEOW", java.util.Set.of("lz4", "dedup"));
        assertDecodesFully(golden, in -> HandshakeReply.decode(in, Kitten.MAX_HANDSHAKE_BYTES), meow);
        assertEquals(meow, KittenStreams.readHandshakeReply(new ByteArrayInputStream(golden)));
        assertTrue(meow.dedup());
        assertFalse(new HandshakeReply.Result(true, 200, "MEOW").dedup(), "plain MEOW (kittenhouse) never gets keys");
    }

    @Test
    void unauthorizedReply() throws IOException {
        byte[] golden = golden("reply-401.hex");
        assertArrayEquals(golden, HandshakeReply.refuse(401, "Unauthorized", "missing or unknown bearer token"));
        HandshakeReply.Result refused = new HandshakeReply.Result(false, 401, "missing or unknown bearer token");
        assertDecodesFully(golden, in -> HandshakeReply.decode(in, Kitten.MAX_HANDSHAKE_BYTES), refused);
        assertEquals(refused, KittenStreams.readHandshakeReply(new ByteArrayInputStream(golden)));
    }

    static Stream<Arguments> requests() {
        return Stream.of(
                Arguments.of("request-values.hex", 0, "internal_logs_buffer(time,server,port)", null,
                        "(1,'web1',80),(2,'web2',443)".getBytes(StandardCharsets.US_ASCII)),
                Arguments.of("request-rowbinary.hex", Kitten.FLAG_ROW_BINARY, "db.metrics(ts,v)", null,
                        HexFormat.of().parseHex("002f6859" + "2a00000000000000" + "012f6859" + "0700000000000000")),
                Arguments.of("request-lz4.hex", Kitten.FLAG_LZ4, "db.logs@2(msg)", null, LZ4_KITTENS),
                Arguments.of("request-lz4-idempotency-key.hex", Kitten.FLAG_IDEMPOTENCY_KEY | Kitten.FLAG_LZ4,
                        "db.logs(msg)", HexFormat.of().parseHex("5f0e8a31c2447d19a6039be752c80d74"), LZ4_KITTENS));
    }

    /** An LZ4 body of {@code ('kitten'),('kitten'),('kitten'),('meow')}. */
    private static final byte[] LZ4_KITTENS =
            HexFormat.of().parseHex("29000000" + "bf" + "28276b697474656e27292c" + "0b0003" + "80" + "28276d656f772729");

    @ParameterizedTest(name = "{0}")
    @MethodSource("requests")
    void requestFrame(String file, int flags, String table, byte[] key, byte[] body) throws IOException {
        byte[] golden = golden(file);

        ByteBuf out = Unpooled.buffer();
        FrameCodec.encodeRequest(flags, table, key, Unpooled.wrappedBuffer(body), out);
        assertArrayEquals(golden, bytes(out), () -> hex(bytes(out)));

        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        KittenStreams.writeRequest(stream, flags, table, key, body, 0, body.length);
        assertArrayEquals(golden, stream.toByteArray());

        ByteBuf in = pooled(golden);
        RequestFrame decoded = FrameCodec.decodeRequest(in, MAX);
        assertNotNull(decoded);
        assertFalse(in.isReadable());
        assertEquals(new RequestFrame(flags, table, key, Unpooled.wrappedBuffer(body)), decoded);
        assertArrayEquals(key, decoded.idempotencyKey());
        decoded.release();
        in.release();

        RequestFrame read = KittenStreams.readRequest(new ByteArrayInputStream(golden), MAX);
        assertEquals(new RequestFrame(flags, table, key, Unpooled.wrappedBuffer(body)), read);
        read.release();
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"request-lz4.hex", "request-lz4-idempotency-key.hex"})
    void lz4BodyDecompressesToTheRowsItStandsFor(String file) {
        ByteBuf in = pooled(golden(file));
        RequestFrame frame = FrameCodec.decodeRequest(in, MAX);
        assertNotNull(frame);
        ByteBuf raw = Lz4Body.decompress(frame.content(), MAX, PooledByteBufAllocator.DEFAULT);
        assertEquals("('kitten'),('kitten'),('kitten'),('meow')", raw.toString(StandardCharsets.US_ASCII));
        raw.release();
        frame.release();
        in.release();
    }

    static Stream<Arguments> responses() {
        return Stream.of(
                Arguments.of("response-ok.hex", ResponseFrame.OK),
                Arguments.of("response-error.hex", new ResponseFrame(500,
                        "Code: 53, e.displayText() = DB::Exception: Type mismatch in VALUES section")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("responses")
    void responseFrame(String file, ResponseFrame response) throws IOException {
        byte[] golden = golden(file);

        ByteBuf out = Unpooled.buffer();
        FrameCodec.encodeResponse(response, out);
        assertArrayEquals(golden, bytes(out), () -> hex(bytes(out)));

        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        KittenStreams.writeResponse(stream, response);
        assertArrayEquals(golden, stream.toByteArray());

        assertDecodesFully(golden, in -> FrameCodec.decodeResponse(in, Kitten.MAX_RESPONSE_MESSAGE_BYTES), response);
        assertEquals(response, KittenStreams.readResponse(new ByteArrayInputStream(golden), Kitten.MAX_RESPONSE_MESSAGE_BYTES));
    }

    /** Decodes {@code bytes} from a pooled buffer: the expected value, every byte consumed. */
    private static <T> void assertDecodesFully(byte[] bytes, java.util.function.Function<ByteBuf, T> decoder, T expected) {
        ByteBuf in = pooled(bytes);
        try {
            assertEquals(expected, decoder.apply(in));
            assertEquals(0, in.readableBytes(), "bytes left over");
        } finally {
            in.release();
        }
    }
}
