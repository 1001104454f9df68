package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.catflap.aggregator.CompressedBodies;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.compression.ZlibWrapper;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** gzip and deflate request bodies undone in bounded steps. */
class ZlibBodyDecoderTest {
    private static final long LIMIT = 1 << 20;
    private ZlibBodyDecoder decoder;

    @AfterEach
    void tearDown() {
        decoder.close();
    }

    private byte[] decode(ZlibWrapper wrapper, byte[] body, int step) throws BodyDecoder.Failure {
        decoder = new ZlibBodyDecoder(wrapper, LIMIT, ByteBufAllocator.DEFAULT);
        return BodyDecoderFeed.feed(decoder, body, () -> step);
    }

    private static byte[] rows() {
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            rows.append('(').append(i).append(",'row ").append(i).append("'),");
        }
        return rows.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void gzipAndDeflateBodiesAreUndoneWhateverTheirChunks() throws Exception {
        byte[] raw = rows();
        assertArrayEquals(raw, decode(ZlibWrapper.ZLIB_OR_NONE, CompressedBodies.deflate(raw), 8192));
        decoder.close();
        assertArrayEquals(raw, decode(ZlibWrapper.GZIP, CompressedBodies.gzip(raw), 7));
        decoder.close();
        byte[] first = CompressedBodies.gzip(Arrays.copyOf(raw, 1000));
        byte[] second = CompressedBodies.gzip(Arrays.copyOfRange(raw, 1000, raw.length));
        byte[] members = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, members, first.length, second.length);
        assertArrayEquals(raw, decode(ZlibWrapper.GZIP, members, 100), "a gzip body of two members");
    }

    /** 64 MiB of zeros in about 64 KB: refused once a step passed the limit, not after inflating it all. */
    @Test
    void aBombIsRefusedAtTheLimit() throws Exception {
        byte[] bomb = CompressedBodies.gzip(new byte[64 << 20]);
        BodyDecoder.Failure f = assertThrows(BodyDecoder.Failure.class, () -> decode(ZlibWrapper.GZIP, bomb, 8192));
        assertEquals(413, f.refusal().status());
    }

    @Test
    void aCutOrGarbledBodyIsRefused() throws Exception {
        byte[] body = CompressedBodies.deflate(rows());
        BodyDecoder.Failure cut = assertThrows(BodyDecoder.Failure.class,
                () -> decode(ZlibWrapper.ZLIB_OR_NONE, Arrays.copyOf(body, body.length / 2), 100));
        assertEquals(400, cut.refusal().status());
        decoder.close();
        byte[] garbled = "not gzip at all".getBytes(StandardCharsets.UTF_8);
        assertEquals("bad_compression", assertThrows(BodyDecoder.Failure.class,
                () -> decode(ZlibWrapper.GZIP, garbled, 100)).refusal().reason());
    }
}
