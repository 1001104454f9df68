package io.catflap.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

import static io.catflap.protocol.ProtocolException.Kind.BAD_IDEMPOTENCY_KEY;
import static io.catflap.protocol.ProtocolException.Kind.BAD_RESPONSE;
import static io.catflap.protocol.ProtocolException.Kind.BAD_TABLE;
import static io.catflap.protocol.ProtocolException.Kind.BODY_TOO_LARGE;
import static io.catflap.protocol.ProtocolException.Kind.EMPTY_TABLE;
import static io.catflap.protocol.ProtocolException.Kind.MESSAGE_TOO_LARGE;
import static io.catflap.protocol.ProtocolException.Kind.TABLE_TOO_LONG;
import static io.catflap.protocol.ProtocolException.Kind.UNKNOWN_FLAGS;

/**
 * Request and response frames over {@link ByteBuf}s. All integers are little-endian and unsigned.
 * <pre>
 * request:  flags u8 | table length u16 | table (UTF-8) | body length u32 | body
 *           where body = [idempotency key, 16 bytes, if flag 0x04] rows (or LZ4 body if flag 0x02)
 * response: flags u8 (0) | status u32 | message length u32 | message (UTF-8)
 * </pre>
 * Decoders are decode-or-wait: they return null, without moving the reader index, until a whole frame
 * is readable, and check every field as soon as its bytes are there — a body over the limit is refused on
 * its length field, before anyone waits for (or allocates) the body itself.
 */
public final class FrameCodec {
    private FrameCodec() {
    }

    /**
     * Decodes one request frame and consumes it.
     *
     * @return the frame, whose body is a retained slice of {@code in} the caller owns; null (reader index
     *         untouched) while the frame is incomplete
     * @throws ProtocolException UNKNOWN_FLAGS, EMPTY_TABLE, TABLE_TOO_LONG, BAD_TABLE (not UTF-8),
     *                           BODY_TOO_LARGE (declared length over {@code maxBodyBytes}) or BAD_IDEMPOTENCY_KEY
     *                           (flag 0x04 with a body shorter than the key)
     */
    public static RequestFrame decodeRequest(ByteBuf in, int maxBodyBytes) {
        return decodeRequest(in, maxBodyBytes, null);
    }

    /** As {@link #decodeRequest(ByteBuf, int)}, reusing the table string of a recent frame with the same bytes. */
    static RequestFrame decodeRequest(ByteBuf in, int maxBodyBytes, RecentTables recent) {
        int at = in.readerIndex();
        int readable = in.readableBytes();
        if (readable < 1) {
            return null;
        }
        // byte 0: flags
        int flags = in.getUnsignedByte(at);
        checkFlags(flags, Kitten.KNOWN_FLAGS, "request");
        if (readable < Kitten.REQUEST_PREFIX_BYTES) {
            return null;
        }
        // bytes 1..2: table length, u16 LE
        int tableBytes = in.getUnsignedShortLE(at + 1);
        checkTableLength(tableBytes);
        int headerBytes = Kitten.REQUEST_PREFIX_BYTES + tableBytes + Kitten.BODY_LENGTH_BYTES;
        if (readable < headerBytes) {
            return null;
        }
        String table = recent == null ? table(in.nioBuffer(at + Kitten.REQUEST_PREFIX_BYTES, tableBytes))
                : recent.decode(in, at + Kitten.REQUEST_PREFIX_BYTES, tableBytes);
        // then the body length, u32 LE, checked before waiting for a single body byte
        long bodyBytes = in.getUnsignedIntLE(at + headerBytes - Kitten.BODY_LENGTH_BYTES);
        checkBodyLength(bodyBytes, maxBodyBytes);
        int keyBytes = checkKeyLength(flags, bodyBytes);
        if (readable - headerBytes < bodyBytes) {
            return null;
        }
        in.skipBytes(headerBytes);
        byte[] key = keyBytes == 0 ? null : new byte[keyBytes];
        if (key != null) {
            in.readBytes(key);
        }
        return new RequestFrame(flags, table, key, in.readRetainedSlice((int) bodyBytes - keyBytes));
    }

    /**
     * Writes one request frame without an idempotency key; the body's readable bytes are copied and its indexes
     * left as they were.
     *
     * @throws IllegalArgumentException for unknown flag bits, flag 0x04, or an empty or over-long table string
     */
    public static void encodeRequest(int flags, String table, ByteBuf body, ByteBuf out) {
        encodeRequest(flags, table, null, body, out);
    }

    /**
     * Writes one request frame; with flag 0x04 the body field is {@code idempotencyKey} followed by the body's
     * readable bytes. The body's indexes are left as they were.
     *
     * @throws IllegalArgumentException for unknown flag bits, an empty or over-long table string, or a key that does
     *                                  not match the flag
     */
    public static void encodeRequest(int flags, String table, byte[] idempotencyKey, ByteBuf body, ByteBuf out) {
        out.writeBytes(requestHeader(flags, table, idempotencyKey, body.readableBytes()));
        out.writeBytes(body, body.readerIndex(), body.readableBytes());
    }

    /**
     * Decodes one response frame and consumes it.
     *
     * @return the response; null (reader index untouched) while the frame is incomplete
     * @throws ProtocolException UNKNOWN_FLAGS (the flags byte is always 0), BAD_RESPONSE (status outside
     *                           100..599) or MESSAGE_TOO_LARGE (declared length over {@code maxMessageBytes})
     */
    public static ResponseFrame decodeResponse(ByteBuf in, int maxMessageBytes) {
        int at = in.readerIndex();
        int readable = in.readableBytes();
        if (readable < 1) {
            return null;
        }
        // byte 0: flags, always 0 (kittenhouse ignores it; no extension defines a bit yet)
        checkFlags(in.getUnsignedByte(at), 0, "response");
        if (readable < 5) {
            return null;
        }
        // bytes 1..4: status, u32 LE
        long status = in.getUnsignedIntLE(at + 1);
        checkStatus(status);
        if (readable < Kitten.RESPONSE_HEADER_BYTES) {
            return null;
        }
        // bytes 5..8: message length, u32 LE, checked before waiting for the message
        long messageBytes = in.getUnsignedIntLE(at + 5);
        checkMessageLength(messageBytes, maxMessageBytes);
        if (readable - Kitten.RESPONSE_HEADER_BYTES < messageBytes) {
            return null;
        }
        // Error text is for humans: decode leniently rather than drop a response over a bad byte.
        String message = in.toString(at + Kitten.RESPONSE_HEADER_BYTES, (int) messageBytes, StandardCharsets.UTF_8);
        in.skipBytes(Kitten.RESPONSE_HEADER_BYTES + (int) messageBytes);
        return new ResponseFrame((int) status, message);
    }

    /**
     * Writes one response frame. The message is cut (at a character boundary) to
     * {@link Kitten#MAX_RESPONSE_MESSAGE_BYTES}: kittenhouse's client drops the connection on longer ones.
     */
    public static void encodeResponse(ResponseFrame r, ByteBuf out) {
        out.writeBytes(responseBytes(r));
    }

    // ---- shared with KittenStreams and the table/frame constructors ----

    /** Everything before the rows: flags, table, body length and the idempotency key if any. */
    static byte[] requestHeader(int flags, String table, byte[] idempotencyKey, int rowBytes) {
        byte[] tableUtf8 = checkEncodable(flags, table, idempotencyKey);
        int n = tableUtf8.length;
        int keyBytes = idempotencyKey == null ? 0 : idempotencyKey.length;
        byte[] header = new byte[Kitten.REQUEST_PREFIX_BYTES + n + Kitten.BODY_LENGTH_BYTES + keyBytes];
        header[0] = (byte) flags;
        header[1] = (byte) n;
        header[2] = (byte) (n >>> 8);
        System.arraycopy(tableUtf8, 0, header, Kitten.REQUEST_PREFIX_BYTES, n);
        putIntLE(header, Kitten.REQUEST_PREFIX_BYTES + n, keyBytes + rowBytes);
        if (keyBytes > 0) {
            System.arraycopy(idempotencyKey, 0, header, header.length - keyBytes, keyBytes);
        }
        return header;
    }

    static byte[] responseBytes(ResponseFrame r) {
        byte[] message = r.message().getBytes(StandardCharsets.UTF_8);
        int n = Math.min(message.length, Kitten.MAX_RESPONSE_MESSAGE_BYTES);
        while (n < message.length && (message[n] & 0xc0) == 0x80) {
            n--; // do not split a UTF-8 sequence: back up to the start of the character at the cut
        }
        byte[] frame = new byte[Kitten.RESPONSE_HEADER_BYTES + n];
        putIntLE(frame, 1, r.status());
        putIntLE(frame, 5, n);
        System.arraycopy(message, 0, frame, Kitten.RESPONSE_HEADER_BYTES, n);
        return frame;
    }

    /** Sender-side validation; returns the table's UTF-8 bytes. */
    static byte[] checkEncodable(int flags, String table, byte[] idempotencyKey) {
        if ((flags & ~Kitten.KNOWN_FLAGS) != 0) {
            throw new IllegalArgumentException("unknown flag bits 0x" + Integer.toHexString(flags & ~Kitten.KNOWN_FLAGS));
        }
        boolean keyed = (flags & Kitten.FLAG_IDEMPOTENCY_KEY) != 0;
        if (keyed != (idempotencyKey != null)) {
            throw new IllegalArgumentException(keyed ? "flag 0x04 needs an idempotency key"
                    : "an idempotency key needs flag 0x04");
        }
        if (keyed && idempotencyKey.length != Kitten.IDEMPOTENCY_KEY_BYTES) {
            throw new IllegalArgumentException("an idempotency key is " + Kitten.IDEMPOTENCY_KEY_BYTES
                    + " bytes, got " + idempotencyKey.length);
        }
        byte[] utf8 = table.getBytes(StandardCharsets.UTF_8);
        if (utf8.length == 0 || utf8.length > Kitten.MAX_TABLE_BYTES) {
            throw new IllegalArgumentException("table string must be 1.." + Kitten.MAX_TABLE_BYTES
                    + " bytes of UTF-8, got " + utf8.length);
        }
        return utf8;
    }

    static void checkFlags(int flags, int known, String frame) {
        if ((flags & ~known) != 0) {
            throw new ProtocolException(UNKNOWN_FLAGS, String.format(
                    "%s flags 0x%02x have unknown bits 0x%02x", frame, flags, flags & ~known));
        }
    }

    static void checkTableLength(int tableBytes) {
        if (tableBytes == 0) {
            throw new ProtocolException(EMPTY_TABLE, "request has an empty table string");
        }
        if (tableBytes > Kitten.MAX_TABLE_BYTES) {
            throw new ProtocolException(TABLE_TOO_LONG, "request table string of " + tableBytes
                    + " bytes is over the limit of " + Kitten.MAX_TABLE_BYTES);
        }
    }

    static void checkBodyLength(long bodyBytes, int maxBodyBytes) {
        if (bodyBytes > maxBodyBytes) {
            throw new ProtocolException(BODY_TOO_LARGE, "request body of " + bodyBytes
                    + " bytes is over the limit of " + maxBodyBytes);
        }
    }

    /** The key's length when flag 0x04 is set (the body must hold it), else 0. */
    static int checkKeyLength(int flags, long bodyBytes) {
        if ((flags & Kitten.FLAG_IDEMPOTENCY_KEY) == 0) {
            return 0;
        }
        if (bodyBytes < Kitten.IDEMPOTENCY_KEY_BYTES) {
            throw new ProtocolException(BAD_IDEMPOTENCY_KEY, "request flag 0x04 needs a body starting with a "
                    + Kitten.IDEMPOTENCY_KEY_BYTES + "-byte idempotency key, but the body is " + bodyBytes + " bytes");
        }
        return Kitten.IDEMPOTENCY_KEY_BYTES;
    }

    static void checkStatus(long status) {
        if (!ResponseFrame.validStatus(status)) {
            throw new ProtocolException(BAD_RESPONSE, "response status " + status + " is outside 100..599");
        }
    }

    static void checkMessageLength(long messageBytes, int maxMessageBytes) {
        if (messageBytes > maxMessageBytes) {
            throw new ProtocolException(MESSAGE_TOO_LARGE, "response message of " + messageBytes
                    + " bytes is over the limit of " + maxMessageBytes);
        }
    }

    /** The table string, which must be valid UTF-8 (its syntax is {@link TableSpec}'s business). */
    static String table(ByteBuffer utf8) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(utf8).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(BAD_TABLE, "request table string is not valid UTF-8", e);
        }
    }

    private static void putIntLE(byte[] a, int at, int v) {
        a[at] = (byte) v;
        a[at + 1] = (byte) (v >>> 8);
        a[at + 2] = (byte) (v >>> 16);
        a[at + 3] = (byte) (v >>> 24);
    }
}
