package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

/**
 * The table strings of a connection's recent request frames, handed out again while a frame carries the same bytes
 * as one of them. A sender writes to a few tables, usually in turn, and decoding the UTF-8 afresh (a charset
 * decoder, a char buffer and a string per frame) was the largest share of a frame's garbage on the server. Keeps
 * the last {@link #SIZE}, replacing the oldest. Not thread-safe: one per {@link RequestFrameDecoder}.
 */
final class RecentTables {
    /** More tables than one sender usually writes to at once; a lookup compares lengths first. */
    static final int SIZE = 8;

    private final ByteBuf[] bytes = new ByteBuf[SIZE];
    private final String[] texts = new String[SIZE];
    private int next;

    /** The table string of the {@code length} bytes at {@code index} of {@code in}, decoded only when new. */
    String decode(ByteBuf in, int index, int length) {
        for (int t = 0; t < SIZE; t++) {
            ByteBuf known = bytes[t];
            if (known != null && known.readableBytes() == length && ByteBufUtil.equals(known, 0, in, index, length)) {
                return texts[t];
            }
        }
        String decoded = FrameCodec.table(in.nioBuffer(index, length));   // throws before anything is kept
        bytes[next] = Unpooled.wrappedBuffer(ByteBufUtil.getBytes(in, index, length));   // on the heap: no release
        texts[next] = decoded;
        next = (next + 1) % SIZE;
        return decoded;
    }
}
