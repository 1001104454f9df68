package io.catflap.aggregator.batch;

import io.netty.buffer.ByteBuf;

/**
 * A body that does not end on a row boundary of its format: merged, it would shift or swallow the rows of the
 * bodies after it. The message says what is wrong, where, and shows a short excerpt of the bytes there. Thrown only
 * on the error path; no stack trace is taken.
 */
public final class MalformedBody extends Exception {
    /** Bytes of the body shown around the offending position. */
    static final int EXCERPT_BYTES = 24;

    private MalformedBody(String message) {
        super(message, null, false, false);
    }

    /** {@code "<format> body does not end on a row boundary: <what> at byte <at> (near '<excerpt>')"}. */
    static MalformedBody at(String format, String what, ByteBuf body, int at) {
        return new MalformedBody(format + " body does not end on a row boundary: " + what + " at byte "
                + (at - body.readerIndex()) + near(body, at));
    }

    /** Printable ASCII as is, anything else as \xNN; at most {@value #EXCERPT_BYTES} bytes from {@code at}. */
    private static String near(ByteBuf body, int at) {
        int end = Math.min(body.writerIndex(), at + EXCERPT_BYTES);
        if (at >= end) {
            return " (the end)";
        }
        StringBuilder b = new StringBuilder(" (near '");
        for (int i = at; i < end; i++) {
            int c = body.getByte(i) & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
                b.append((char) c);
            } else {
                b.append(String.format("\\x%02x", c));
            }
        }
        return b.append(end < body.writerIndex() ? "'...)" : "')").toString();
    }
}
