package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;
import java.util.Optional;

import static io.catflap.protocol.TestBytes.pooled;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HandshakeTest {
    private static final int MAX = Kitten.MAX_HANDSHAKE_BYTES;

    @Test
    void acceptsExtraHeadersMixedLineEndsAndHttp10() {
        ByteBuf in = pooled("KITTEN / HTTP/1.0\r\nHost: ch1\nX-Trace:  a b \r\nx-trace: c\r\n\nFRAMES");
        Handshake h = Handshake.decode(in, MAX);
        assertEquals(new Handshake("/", Map.of("host", "ch1", "x-trace", "a b, c")), h);
        assertEquals("FRAMES", in.toString(java.nio.charset.StandardCharsets.US_ASCII), "only the handshake is consumed");
        in.release();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "Bearer abc.DEF-123_~+/==   | abc.DEF-123_~+/==",
            "bearer abc                 | abc",
            "BEARER   abc               | abc",
            "Basic dXNlcjpwYXNz         | ",
            "Bearer                     | ",
            "Bearer a b                 | ",
            "Bearer abc, Bearer def     | ",
            "Bearer a=b                 | ",
    })
    void bearerToken(String authorization, String token) {
        assertEquals(Optional.ofNullable(token), new Handshake("/", Map.of("authorization", authorization)).bearerToken());
    }

    @Test
    void encodedTokenIsDecodedBack() {
        ByteBuf in = pooled(Handshake.encode("tok-1"));
        assertEquals(Optional.of("tok-1"), Handshake.decode(in, MAX).bearerToken());
        in.release();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a b", "x\r\nHost: evil", "tök"})
    void encodeRefusesWhatIsNotABearerToken(String token) {
        assertThrows(IllegalArgumentException.class, () -> Handshake.encode(token));
    }

    @Test
    void startsLikeKittenPeeksAtSevenBytes() {
        for (String s : new String[]{"", "K", "KITTEN", "GET / HTTP/1.1", "POST /?query=", "KITTEN/", "kitten /"}) {
            ByteBuf in = pooled(s);
            assertFalse(Handshake.startsLikeKitten(in), s);
            in.release();
        }
        ByteBuf in = pooled("KITTEN ");
        assertTrue(Handshake.startsLikeKitten(in));
        assertEquals(0, in.readerIndex());
        in.release();
    }

    @Test
    void replyFromARealHttpServerWithExtraHeaders() {
        ByteBuf in = pooled("HTTP/1.1 200 OK\r\nDate: Mon, 05 Nov 2018 10:00:00 GMT\r\nServer: fasthttp\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n\r\nMEOW\0\0\0\0\0");
        assertEquals(new HandshakeReply.Result(true, 200, "MEOW"), HandshakeReply.decode(in, MAX));
        assertEquals(5, in.readableBytes(), "bytes after MEOW belong to the frames");
        in.release();
    }

    @Test
    void replyOutcomes() {
        assertReply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK", new HandshakeReply.Result(false, 200, "OK"));
        assertReply("HTTP/1.1 200 OK\n\nMEOW", new HandshakeReply.Result(true, 200, "MEOW")); // kittenhouse reads 4 bytes
        assertReply("HTTP/1.0 200 OK\r\ncontent-length: 4\r\n\r\nMEOW", new HandshakeReply.Result(true, 200, "MEOW"));
        assertReply("HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\n\r\nbad request", new HandshakeReply.Result(false, 400, "bad request"));
        assertReply("HTTP/1.1 501 Not Implemented\r\nTransfer-Encoding: chunked\r\n\r\n", new HandshakeReply.Result(false, 501, ""));
        assertReply("HTTP/1.1 404\r\n\r\n", new HandshakeReply.Result(false, 404, ""));
    }

    @Test
    void featuresAreParsedLeniently() {
        assertReply("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nx-catflap-features: LZ4 ,future-thing,\r\n\r\nMEOW",
                new HandshakeReply.Result(true, 200, "MEOW", java.util.Set.of("lz4", "future-thing")));
        HandshakeReply.Result notMeow = new HandshakeReply.Result(false, 200, "OK", java.util.Set.of("lz4"));
        assertFalse(notMeow.lz4(), "features count only on a MEOW");
        assertThrows(IllegalArgumentException.class, () -> HandshakeReply.meow(java.util.List.of("LZ4\r\nX: y")));
        assertArrayEquals(HandshakeReply.meow(), HandshakeReply.meow(java.util.List.of()));
    }

    @Test
    void replyWaitsForItsDeclaredBody() {
        ByteBuf in = pooled("HTTP/1.1 401 Unauthorized\r\nContent-Length: 5\r\n\r\nnop");
        assertNull(HandshakeReply.decode(in, MAX));
        assertEquals(0, in.readerIndex());
        in.writeBytes("e!".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(new HandshakeReply.Result(false, 401, "nope!"), HandshakeReply.decode(in, MAX));
        in.release();
    }

    @Test
    void refusalIsValidated() {
        assertThrows(IllegalArgumentException.class, () -> HandshakeReply.refuse(200, "OK", ""));
        assertThrows(IllegalArgumentException.class, () -> HandshakeReply.refuse(401, "Un\r\nauthorized", ""));
        assertThrows(IllegalArgumentException.class, () -> HandshakeReply.refuse(401, "Unauthorized", "x".repeat(MAX)));
        ByteBuf in = pooled(HandshakeReply.refuse(403, "Forbidden", "token may not write db.t — ask ops"));
        assertEquals(new HandshakeReply.Result(false, 403, "token may not write db.t — ask ops"), HandshakeReply.decode(in, MAX));
        in.release();
    }

    private static void assertReply(String reply, HandshakeReply.Result expected) {
        ByteBuf in = pooled(reply);
        assertEquals(expected, HandshakeReply.decode(in, MAX), reply);
        assertFalse(in.isReadable());
        in.release();
    }
}
