package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static io.catflap.protocol.ProtocolException.Kind.TRUNCATED;

/**
 * KITTEN/MEOW over blocking streams, for clients and tests that do not run Netty. Same wire format and
 * the same checks as {@link FrameCodec}; writers flush after each message. Readers never read past the
 * message they return, so the stream can be handed on afterwards.
 */
public final class KittenStreams {
    /** Bodies are read in steps of this size, so memory follows the bytes that arrived, not the declared length. */
    private static final int READ_STEP = 64 << 10;

    private KittenStreams() {
    }

    /** Writes the client's handshake ({@link Handshake#encode}) and flushes. */
    public static void writeHandshake(OutputStream out, String bearerTokenOrNull) throws IOException {
        out.write(Handshake.encode(bearerTokenOrNull));
        out.flush();
    }

    /**
     * Reads the server's handshake reply, byte by byte so that nothing after it is consumed.
     *
     * @throws ProtocolException as {@link HandshakeReply#decode}, or TRUNCATED if the stream ends first
     */
    public static HandshakeReply.Result readHandshakeReply(InputStream in) throws IOException {
        ByteBuf buf = Unpooled.buffer(128, Kitten.MAX_HANDSHAKE_BYTES);
        try {
            while (true) {
                int b = in.read();
                if (b < 0) {
                    throw new ProtocolException(TRUNCATED, "stream ended after " + buf.readableBytes()
                            + " bytes of the KITTEN handshake reply");
                }
                buf.writeByte(b);
                // Re-parsing per byte is quadratic only up to MAX_HANDSHAKE_BYTES, where decode gives up.
                HandshakeReply.Result result = HandshakeReply.decode(buf, Kitten.MAX_HANDSHAKE_BYTES);
                if (result != null) {
                    return result;
                }
            }
        } finally {
            buf.release();
        }
    }

    /** Writes one request frame without an idempotency key (see {@link FrameCodec#encodeRequest}) and flushes. */
    public static void writeRequest(OutputStream out, int flags, String table, byte[] body, int off, int len)
            throws IOException {
        writeRequest(out, flags, table, null, body, off, len);
    }

    /** Writes one request frame, with {@code idempotencyKey} when flag 0x04 is set, and flushes. */
    public static void writeRequest(OutputStream out, int flags, String table, byte[] idempotencyKey, byte[] body,
                                    int off, int len) throws IOException {
        out.write(FrameCodec.requestHeader(flags, table, idempotencyKey, len));
        out.write(body, off, len);
        out.flush();
    }

    /**
     * Reads one response frame.
     *
     * @throws ProtocolException as {@link FrameCodec#decodeResponse}, or TRUNCATED if the stream ends before
     *                           the frame does (also when it ends before the first byte: a response was due)
     */
    public static ResponseFrame readResponse(InputStream in, int maxMessageBytes) throws IOException {
        // flags u8 (always 0)
        FrameCodec.checkFlags(readByte(in, "response frame"), 0, "response");
        // status u32 LE, message length u32 LE
        ByteBuffer header = readFully(in, Kitten.RESPONSE_HEADER_BYTES - 1, "response header");
        long status = Integer.toUnsignedLong(header.getInt());
        FrameCodec.checkStatus(status);
        long messageBytes = Integer.toUnsignedLong(header.getInt());
        FrameCodec.checkMessageLength(messageBytes, maxMessageBytes);
        ByteBuffer message = readFully(in, (int) messageBytes, "response message");
        return new ResponseFrame((int) status, StandardCharsets.UTF_8.decode(message).toString());
    }

    /**
     * Reads one request frame; its body is an unpooled buffer the caller owns.
     *
     * @return the frame, or null if the stream ended cleanly before its first byte
     * @throws ProtocolException as {@link FrameCodec#decodeRequest}, or TRUNCATED if the stream ends inside it
     */
    public static RequestFrame readRequest(InputStream in, int maxBodyBytes) throws IOException {
        int flags = in.read();
        if (flags < 0) {
            return null;
        }
        FrameCodec.checkFlags(flags, Kitten.KNOWN_FLAGS, "request");
        int tableBytes = Short.toUnsignedInt(readFully(in, 2, "table length").getShort());
        FrameCodec.checkTableLength(tableBytes);
        ByteBuffer tableAndLength = readFully(in, tableBytes + Kitten.BODY_LENGTH_BYTES, "table string");
        String table = FrameCodec.table(tableAndLength.slice(0, tableBytes));
        long bodyBytes = Integer.toUnsignedLong(tableAndLength.getInt(tableBytes));
        FrameCodec.checkBodyLength(bodyBytes, maxBodyBytes);
        int keyBytes = FrameCodec.checkKeyLength(flags, bodyBytes);
        byte[] key = keyBytes == 0 ? null : readFully(in, keyBytes, "idempotency key").array();

        int total = (int) bodyBytes - keyBytes;
        ByteBuf body = Unpooled.buffer(Math.min(total, READ_STEP), total);
        try {
            while (body.writerIndex() < total) {
                if (body.writeBytes(in, Math.min(total - body.writerIndex(), READ_STEP)) < 0) {
                    throw truncated(body.writerIndex(), total, "request body");
                }
            }
            return new RequestFrame(flags, table, key, body);
        } catch (IOException | RuntimeException e) {
            body.release();
            throw e;
        }
    }

    /** Writes one response frame (see {@link FrameCodec#encodeResponse}) and flushes. */
    public static void writeResponse(OutputStream out, ResponseFrame r) throws IOException {
        out.write(FrameCodec.responseBytes(r));
        out.flush();
    }

    private static int readByte(InputStream in, String what) throws IOException {
        int b = in.read();
        if (b < 0) {
            throw truncated(0, 1, what);
        }
        return b;
    }

    /** Exactly {@code n} bytes as a little-endian buffer; n is always a checked, small length. */
    private static ByteBuffer readFully(InputStream in, int n, String what) throws IOException {
        byte[] bytes = in.readNBytes(n);
        if (bytes.length < n) {
            throw truncated(bytes.length, n, what);
        }
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ProtocolException truncated(int got, int wanted, String what) {
        return new ProtocolException(TRUNCATED, "stream ended after " + got + " of " + wanted + " bytes of the " + what);
    }
}
