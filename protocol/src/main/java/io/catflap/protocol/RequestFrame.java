package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One request frame: flags, table string, idempotency key (flag 0x04, else null) and body ({@link #content()}: the
 * rows exactly as sent — still compressed when {@link #lz4()} — without the key). The frame owns its body: whoever
 * holds the frame releases it.
 */
public final class RequestFrame extends DefaultByteBufHolder {
    private final int flags;
    private final String table;
    private final byte[] idempotencyKey;

    /**
     * A frame without an idempotency key; takes ownership of {@code body} as
     * {@link #RequestFrame(int, String, byte[], ByteBuf)}.
     */
    public RequestFrame(int flags, String table, ByteBuf body) {
        this(flags, table, null, body);
    }

    /**
     * Takes ownership of {@code body}; if the arguments are invalid the body is released before the
     * exception is thrown, so the caller never has to.
     *
     * @param idempotencyKey {@value Kitten#IDEMPOTENCY_KEY_BYTES} bytes when {@code flags} has
     *                       {@link Kitten#FLAG_IDEMPOTENCY_KEY}, else null; copied
     * @throws IllegalArgumentException for unknown flag bits, an empty or over-long table string, or a key that
     *                                  does not match the flag
     */
    public RequestFrame(int flags, String table, byte[] idempotencyKey, ByteBuf body) {
        super(validated(flags, table, idempotencyKey, body));
        this.flags = flags;
        this.table = table;
        this.idempotencyKey = idempotencyKey == null ? null : idempotencyKey.clone();
    }

    private static ByteBuf validated(int flags, String table, byte[] idempotencyKey, ByteBuf body) {
        Objects.requireNonNull(body, "body");
        try {
            FrameCodec.checkEncodable(flags, table, idempotencyKey);
        } catch (RuntimeException e) {
            body.release();
            throw e;
        }
        return body;
    }

    public int flags() {
        return flags;
    }

    /** The table string as sent, e.g. {@code db.t(a,b)}; parse it with {@link TableSpec#parse}. */
    public String table() {
        return table;
    }

    /** Whether the (decompressed) body is RowBinary rather than VALUES tuples. */
    public boolean rowBinary() {
        return (flags & Kitten.FLAG_ROW_BINARY) != 0;
    }

    /** Whether the body is an LZ4 body ({@link Lz4Body}). */
    public boolean lz4() {
        return (flags & Kitten.FLAG_LZ4) != 0;
    }

    /** The {@value Kitten#IDEMPOTENCY_KEY_BYTES}-byte idempotency key (a copy), or null without flag 0x04. */
    public byte[] idempotencyKey() {
        return idempotencyKey == null ? null : idempotencyKey.clone();
    }

    @Override
    public RequestFrame copy() {
        return replace(content().copy());
    }

    @Override
    public RequestFrame duplicate() {
        return replace(content().duplicate());
    }

    @Override
    public RequestFrame retainedDuplicate() {
        return replace(content().retainedDuplicate());
    }

    @Override
    public RequestFrame replace(ByteBuf content) {
        return new RequestFrame(flags, table, idempotencyKey, content);
    }

    @Override
    public RequestFrame retain() {
        super.retain();
        return this;
    }

    @Override
    public RequestFrame retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public RequestFrame touch() {
        super.touch();
        return this;
    }

    @Override
    public RequestFrame touch(Object hint) {
        super.touch(hint);
        return this;
    }

    /** Equal when flags, table, idempotency key and body bytes are equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof RequestFrame f && f.flags == flags && f.table.equals(table)
                && Arrays.equals(f.idempotencyKey, idempotencyKey) && super.equals(o);
    }

    @Override
    public int hashCode() {
        return ((31 * flags + table.hashCode()) * 31 + Arrays.hashCode(idempotencyKey)) * 31 + super.hashCode();
    }

    @Override
    public String toString() {
        return "RequestFrame(flags=0x" + Integer.toHexString(flags) + ", table=" + Texts.excerpt(table)
                + (idempotencyKey == null ? "" : ", key=" + HexFormat.of().formatHex(idempotencyKey))
                + ", body=" + content().readableBytes() + " bytes)";
    }
}
