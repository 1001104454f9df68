package io.catflap.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The table string of a connection's previous request frame, handed out again while the next frame carries the same
 * bytes. A sender writes to a few tables, frame after frame, and decoding the UTF-8 afresh (a charset decoder, a char
 * buffer and a string per frame) was the largest share of a frame's garbage on the server. Not thread-safe: one per
 * {@link RequestFrameDecoder}.
 */
final class LastTable {
    private byte[] bytes = new byte[0];
    private String text;

    /** The table string of the {@code length} bytes at {@code index} of {@code in}, decoded only when they changed. */
    String decode(ByteBuf in, int index, int length) {
        if (!sameAs(in, index, length)) {
            String decoded = FrameCodec.table(in.nioBuffer(index, length));   // throws before anything is kept
            bytes = new byte[length];
            in.getBytes(index, bytes);
            text = decoded;
        }
        return text;
    }

    private boolean sameAs(ByteBuf in, int index, int length) {
        if (length != bytes.length || text == null) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (in.getByte(index + i) != bytes[i]) {
                return false;
            }
        }
        return true;
    }
}
