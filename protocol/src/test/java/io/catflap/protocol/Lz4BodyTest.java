package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static io.catflap.protocol.TestBytes.bytes;
import static io.catflap.protocol.TestBytes.pooled;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Lz4BodyTest {
    private static final ByteBufAllocator POOLED = PooledByteBufAllocator.DEFAULT;

    @Test
    void roundTripsThroughBuffersAndArrays() {
        Random random = new Random(1);
        for (int size : new int[]{0, 1, 15, 1000, 65_536, 300_000}) {
            byte[] raw = new byte[size];
            // half compressible text, half noise
            for (int i = 0; i < size; i++) {
                raw[i] = i < size / 2 ? (byte) ("('kitten'),".charAt(i % 11)) : (byte) random.nextInt();
            }
            for (ByteBufAllocator alloc : new ByteBufAllocator[]{POOLED, new UnpooledByteBufAllocator(false)}) {
                ByteBuf in = pooled(raw);
                ByteBuf compressed = Lz4Body.compress(in, alloc);
                assertEquals(0, in.readerIndex(), "compress must not move its input");
                assertEquals(size, compressed.getIntLE(0));
                assertArrayEquals(bytes(compressed), Lz4Body.compress(raw, 0, size), "both compress paths agree");
                ByteBuf back = Lz4Body.decompress(compressed, size, alloc);
                assertEquals(0, compressed.readerIndex(), "decompress must not move its input");
                assertArrayEquals(raw, bytes(back), "size " + size);
                back.release();
                compressed.release();
                in.release();
            }
        }
    }

    @Test
    void compressesTheReadableRangeOfCompositeAndOffsetBuffers() {
        byte[] raw = "(1,'a'),(2,'b'),(3,'c')".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        CompositeByteBuf composite = POOLED.compositeBuffer()
                .addComponent(true, pooled(Arrays.copyOfRange(raw, 0, 7)))
                .addComponent(true, pooled(Arrays.copyOfRange(raw, 7, raw.length)));
        composite.skipBytes(1);
        ByteBuf compressed = Lz4Body.compress(composite, POOLED);
        ByteBuf back = Lz4Body.decompress(compressed, 1000, POOLED);
        assertArrayEquals(Arrays.copyOfRange(raw, 1, raw.length), bytes(back));
        byte[] fromArray = Lz4Body.compress(raw, 1, raw.length - 1);
        assertArrayEquals(bytes(compressed), fromArray);
        back.release();
        compressed.release();
        composite.release();
    }

    @Test
    void mostCompressibleBodyStaysWithinTheExpansionBound() {
        // All zeros is LZ4's best case; the bound that refuses forged raw lengths must not refuse it.
        int size = Kitten.DEFAULT_MAX_BODY_BYTES;
        byte[] compressed = Lz4Body.compress(new byte[size], 0, size);
        assertTrue((long) (compressed.length - 4) * 255 >= size, "block of " + compressed.length + " bytes");
        ByteBuf in = pooled(compressed);
        ByteBuf back = Lz4Body.decompress(in, size, POOLED);
        assertEquals(size, back.readableBytes());
        assertEquals(-1, back.forEachByte(b -> b == 0));
        back.release();
        in.release();
    }
}
