package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Any bytes on an HTTP connection decode into inserts, their bodies, refusals or HTTP messages for the select path:
 * never an exception that escapes, a body over the limit, or a leak (the leak check runs on every test).
 */
class HttpInsertDecoderFuzzTest {
    private static final int MAX_REQUEST_BYTES = 512;
    private static final String[] REQUESTS = {
        "POST /?query=INSERT%20INTO%20db.t%20FORMAT%20CSV HTTP/1.1\r\nContent-Length: 8\r\n\r\n1,2\n3,4\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\nINSERT INTO t VALUES (1),(2)\r\n0\r\n\r\n",
        "POST /?table=db.t(a,b)&rowbinary=1 HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd",
        "GET /?query=SELECT%201 HTTP/1.1\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nSELECT 1\n",
        "POST /?query=INSERT%20INTO%20t%20FORMAT%20Native HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
        "POST /?query=INSERT%20INTO%20t%20FORMAT%20TSV HTTP/1.1\r\nConnection: close\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n4\r\n1\t2\n\r\n300\r\n" + "x".repeat(768) + "\r\n0\r\n\r\n",
    };

    @Test
    void mutatedRequestsNeverEscapeTheDecoder() {
        Random random = new Random(20261130);
        for (int run = 0; run < 3000; run++) {
            byte[] bytes = mutate(random, REQUESTS[random.nextInt(REQUESTS.length)]
                    + REQUESTS[random.nextInt(REQUESTS.length)], run);
            feed(random, bytes, run);
        }
    }

    @Test
    void randomBytesNeverEscapeTheDecoder() {
        Random random = new Random(7);
        for (int run = 0; run < 500; run++) {
            byte[] bytes = new byte[random.nextInt(2048)];
            random.nextBytes(bytes);
            feed(random, bytes, run);
        }
    }

    private static byte[] mutate(Random random, String request, int run) {
        byte[] bytes = request.getBytes(StandardCharsets.ISO_8859_1);
        int mutations = run % 4;   // a quarter of the runs stay valid
        for (int i = 0; i < mutations && bytes.length > 0; i++) {
            switch (random.nextInt(3)) {
                case 0 -> bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                case 1 -> bytes = java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length));
                default -> bytes[random.nextInt(bytes.length)] = (byte) "\r\n0:; ".charAt(random.nextInt(6));
            }
        }
        return bytes;
    }

    /** Feeds {@code bytes} in random pieces; every message out must be one the handlers behind understand. */
    private static void feed(Random random, byte[] bytes, int run) {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(), new HttpInsertDecoder(
                new Ingest(null, null, null, null, AccessPolicy.open(), MAX_REQUEST_BYTES, 128, null, null,
                        new SimpleMeterRegistry())));
        try {
            for (int at = 0; at < bytes.length; ) {
                int n = Math.min(bytes.length - at, 1 + random.nextInt(64));
                ch.writeInbound(Unpooled.wrappedBuffer(bytes, at, n));
                at += n;
                drain(ch, run);
            }
            ch.finish();
            drain(ch, run);
        } catch (RuntimeException e) {
            fail("run " + run + " threw", e);
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    private static void drain(EmbeddedChannel ch, int run) {
        for (Object msg; (msg = ch.readInbound()) != null; ) {
            try {
                if (msg instanceof Insert insert) {
                    assertTrue(insert.content().readableBytes() <= MAX_REQUEST_BYTES, "run " + run);
                } else if (!(msg instanceof InsertBody || msg instanceof Refusal || msg instanceof HttpObject)) {
                    fail("run " + run + ": unexpected " + msg.getClass());
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }
}
