package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A body trickled in tiny segments holds about what it carries, not a socket read buffer per segment. */
class TrickledBodyTest {
    @Test
    void tinySegmentsDoNotPinTheirReadBuffers() {
        PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        List<ByteBuf> reads = new ArrayList<>();
        CompositeByteBuf body = HttpInsertDecoder.newBody(alloc);
        for (int i = 0; i < 1000; i++) {
            ByteBuf read = alloc.directBuffer(64 << 10);   // what one socket read is given
            read.writeByte('0' + i % 10);
            body.addComponent(true, read.readRetainedSlice(1));   // as the HTTP decoder hands a chunk on
            read.release();
            reads.add(read);
        }
        long pinned = reads.stream().filter(r -> r.refCnt() > 0).count();
        assertTrue(pinned <= HttpInsertDecoder.MAX_BODY_CHUNKS, pinned + " read buffers still held");
        assertEquals(1000, body.readableBytes());
        for (int i = 0; i < 1000; i++) {
            assertEquals('0' + i % 10, body.getByte(i), "byte " + i);
        }
        body.release();
        assertEquals(0, reads.stream().filter(r -> r.refCnt() > 0).count());
    }
}
