package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.catflap.protocol.TestBytes.bytes;
import static io.catflap.protocol.TestBytes.concat;
import static io.catflap.protocol.TestBytes.golden;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Blocking readers and writers over piped streams, with the writer on its own thread. */
class KittenStreamsTest {
    @Test
    void requestsRoundTripOverAPipe() throws Exception {
        RandomFrames random = new RandomFrames(31337);
        List<RequestFrame> sent = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            sent.add(random.request());
        }
        PipedInputStream in = new PipedInputStream(8192);
        CompletableFuture<Void> writer = writeAsync(in, out -> {
            for (RequestFrame f : sent) {
                byte[] body = concat(new byte[]{1, 2}, bytes(f.content()), new byte[]{3});
                KittenStreams.writeRequest(out, f.flags(), f.table(), f.idempotencyKey(), body, 2, body.length - 3);
            }
        });
        for (RequestFrame expected : sent) {
            RequestFrame got = KittenStreams.readRequest(in, Kitten.DEFAULT_MAX_BODY_BYTES);
            assertEquals(expected, got);
            got.release();
            expected.release();
        }
        assertNull(KittenStreams.readRequest(in, Kitten.DEFAULT_MAX_BODY_BYTES), "clean end of stream");
        writer.get(30, TimeUnit.SECONDS);
    }

    @Test
    void handshakeAndResponsesRoundTripOverAPipe() throws Exception {
        RandomFrames random = new RandomFrames(4);
        List<ResponseFrame> sent = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            sent.add(random.response());
        }
        PipedInputStream in = new PipedInputStream(512);
        CompletableFuture<Void> writer = writeAsync(in, out -> {
            out.write(HandshakeReply.meow());
            for (ResponseFrame r : sent) {
                KittenStreams.writeResponse(out, r);
            }
        });
        assertEquals(new HandshakeReply.Result(true, 200, "MEOW"), KittenStreams.readHandshakeReply(in));
        for (ResponseFrame expected : sent) {
            assertEquals(expected, KittenStreams.readResponse(in, Kitten.MAX_RESPONSE_MESSAGE_BYTES));
        }
        writer.get(30, TimeUnit.SECONDS);
    }

    @Test
    void clientHandshakeIsWhatTheServerDecodes() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        KittenStreams.writeHandshake(out, null);
        assertArrayEquals(golden("handshake-kittenhouse.hex"), out.toByteArray());
        out.reset();
        KittenStreams.writeHandshake(out, "s3cr3t-token");
        assertArrayEquals(golden("handshake-bearer-crlf.hex"), out.toByteArray());
    }

    @Test
    void refusalIsReadWithoutTouchingWhatFollows() throws IOException {
        byte[] refusal = golden("reply-401.hex");
        ByteArrayInputStream in = new ByteArrayInputStream(concat(refusal, new byte[]{42}));
        assertEquals(new HandshakeReply.Result(false, 401, "missing or unknown bearer token"), KittenStreams.readHandshakeReply(in));
        assertEquals(42, in.read());
    }

    @Test
    void lz4BodyRoundTripsThroughTheBlockingPath() throws IOException {
        byte[] raw = "('a'),('b'),('a'),('b'),('a'),('b')".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] lz4 = Lz4Body.compress(raw, 0, raw.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        KittenStreams.writeRequest(out, Kitten.FLAG_LZ4, "db.t(v)", lz4, 0, lz4.length);
        RequestFrame frame = KittenStreams.readRequest(new ByteArrayInputStream(out.toByteArray()), 1000);
        ByteBuf back = Lz4Body.decompress(frame.content(), 1000, PooledByteBufAllocator.DEFAULT);
        assertArrayEquals(raw, bytes(back));
        back.release();
        frame.release();
    }

    private interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Runs {@code writer} on its own thread against a pipe into {@code in}, closing the pipe after it. */
    private static CompletableFuture<Void> writeAsync(PipedInputStream in, Writer writer) throws IOException {
        PipedOutputStream out = new PipedOutputStream(in);
        return CompletableFuture.runAsync(() -> {
            try (out) {
                writer.write(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
