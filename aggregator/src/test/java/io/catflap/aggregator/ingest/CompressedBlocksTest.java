package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.CompressedBodies;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** ClickHouse's compressed framing: read from any chunking, written as ClickHouse and clickhouse-java read it. */
class CompressedBlocksTest {
    /** An error answer of ClickHouse 18.16.1 to an INSERT with {@code compress=1}, as it came over the wire. */
    private static final String CLICKHOUSE_18_16_ERROR = "dc244bc318fe08d7b5b99379455431a082d1000000d8000000f09d436f"
            + "64653a2032372c20652e646973706c6179546578742829203d2044423a3a457863657074696f6e3a2043616e6e6f7420706172"
            + "736520696e7075743a206578706563746564205c74206265666f72653a20785c6e3a2028617420726f772031290a0a526f7720"
            + "313a0a436f6c756d6e20302c2020206e616d653a20612c20747970653a2055496e7433322c204552524f523a20746578742022"
            + "783c4c494e4520464545443e22206973207e00436c696b652f00200a0ab5003b776861ae005074696f6e0a";
    private static final long LIMIT = 1 << 20;

    private final CompressedBlocks.Decoder decoder = new CompressedBlocks.Decoder(LIMIT, ByteBufAllocator.DEFAULT);

    @AfterEach
    void tearDown() {
        decoder.close();
    }

    /** Feeds {@code body} in chunks of {@code step} bytes; the decompressed bytes. */
    private byte[] decode(byte[] body, int step) throws BodyDecoder.Failure {
        return BodyDecoderFeed.feed(decoder, body, () -> step);
    }

    @Test
    void blocksAreReadWhateverTheChunksTheyArriveIn() throws Exception {
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            rows.append(i).append("\trow ").append(i).append('\n');
        }
        byte[] raw = rows.toString().getBytes(StandardCharsets.UTF_8);
        byte[] body = CompressedBodies.blocks(raw, 1000);
        assertArrayEquals(raw, decode(body, 1));
        CompressedBlocks.Decoder again = new CompressedBlocks.Decoder(LIMIT, ByteBufAllocator.DEFAULT);
        Random random = new Random(7);
        assertArrayEquals(raw, BodyDecoderFeed.feed(again, body, () -> 1 + random.nextInt(3000)));
        again.close();
    }

    @Test
    void clickHousesOwnBlockIsRead() throws Exception {
        String text = new String(decode(ByteBufUtil.decodeHexDump(CLICKHOUSE_18_16_ERROR), 10),
                StandardCharsets.UTF_8);
        assertEquals(216, text.length());
        assertTrue(text.startsWith("Code: 27, e.displayText() = DB::Exception: Cannot parse input"), text);
        assertTrue(text.endsWith(", e.what() = DB::Exception\n"), text);
    }

    @Test
    void aWrittenBlockIsReadBackByBothSides() throws Exception {
        byte[] text = "Code: 60, e.displayText() = DB::Exception: Table db.t doesn't exist.\n"
                .getBytes(StandardCharsets.UTF_8);
        ByteBuf block = CompressedBlocks.compress(ByteBufAllocator.DEFAULT, text);
        try {
            assertEquals(new String(text, StandardCharsets.UTF_8),
                    CompressedBodies.decompress(ByteBufUtil.getBytes(block)));
            assertArrayEquals(text, decode(ByteBufUtil.getBytes(block), 3));
        } finally {
            block.release();
        }
    }

    /** A block that declares more data than the limit allows is refused from its header, before it is inflated. */
    @Test
    void aBombIsRefusedFromItsHeader() throws Exception {
        byte[] body = CompressedBodies.blocks(new byte[100_000], 1 << 20);
        body[21] = 0;
        body[22] = 0;
        body[23] = 0;
        body[24] = 0x10;   // 256 MiB of data declared
        BodyDecoder.Failure f = assertThrows(BodyDecoder.Failure.class,
                () -> decoder.decode(Unpooled.copiedBuffer(body, 0, CompressedBlocks.HEADER_BYTES), false));
        assertEquals(413, f.refusal().status());
        assertEquals("request_too_large", f.refusal().reason());
    }

    @Test
    void theLimitHoldsOverAllBlocks() throws Exception {
        byte[] body = CompressedBodies.blocks(new byte[(int) LIMIT + 1], 64 << 10);
        BodyDecoder.Failure f = assertThrows(BodyDecoder.Failure.class, () -> decode(body, 4096));
        assertEquals(413, f.refusal().status());
    }

    @Test
    void aCorruptBlockIsRefused() throws Exception {
        byte[] body = CompressedBodies.blocks("1\ta\n2\tb\n".getBytes(StandardCharsets.UTF_8), 1024);
        body[3] ^= 1;
        BodyDecoder.Failure checksum = assertThrows(BodyDecoder.Failure.class, () -> decode(body, 1000));
        assertEquals(400, checksum.refusal().status());
        assertTrue(checksum.refusal().message().contains("checksum"), checksum.refusal().message());

        byte[] zstd = CompressedBodies.blocks("1\n".getBytes(StandardCharsets.UTF_8), 1024);
        zstd[16] = (byte) 0x90;
        assertEquals(400, assertThrows(BodyDecoder.Failure.class, () -> decode(zstd, 1000)).refusal().status());
    }

    @Test
    void aBodyEndingInsideABlockIsRefused() throws Exception {
        byte[] body = CompressedBodies.blocks("1\ta\n".getBytes(StandardCharsets.UTF_8), 1024);
        BodyDecoder.Failure f = assertThrows(BodyDecoder.Failure.class,
                () -> decoder.decode(Unpooled.copiedBuffer(body, 0, body.length - 1), true));
        assertTrue(f.refusal().message().contains("ends inside a block"), f.refusal().message());
    }
}
