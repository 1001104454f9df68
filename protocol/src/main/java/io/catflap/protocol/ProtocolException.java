package io.catflap.protocol;

import java.util.Objects;

/**
 * A peer broke the KITTEN/MEOW protocol. The {@link Kind} says what was wrong so callers can count and
 * answer by kind; {@link #getMessage()} says precisely where and why. After any of these the byte stream
 * is out of step and the connection must be closed.
 */
public final class ProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What the peer got wrong. */
    public enum Kind {
        /** The handshake request or reply is not the HTTP-shaped text the protocol expects. */
        BAD_HANDSHAKE,
        /** The handshake did not end within the allowed number of bytes. */
        HANDSHAKE_TOO_LARGE,
        /** A flags byte has bits this implementation does not know. */
        UNKNOWN_FLAGS,
        /** The table string is empty. */
        EMPTY_TABLE,
        /** The table string is longer than {@link Kitten#MAX_TABLE_BYTES}. */
        TABLE_TOO_LONG,
        /** The table string is not {@code [db.]table[@shard][(col, ...)]} of valid identifiers. */
        BAD_TABLE,
        /** The (declared or decompressed) body is over the configured limit. */
        BODY_TOO_LARGE,
        /** The LZ4 body is not a u32 raw length followed by one valid LZ4 block of exactly that length. */
        BAD_LZ4,
        /** Flag 0x04 is set but the body is shorter than the idempotency key it must start with. */
        BAD_IDEMPOTENCY_KEY,
        /** The stream ended in the middle of a frame. */
        TRUNCATED,
        /** A response message is longer than the reader accepts. */
        MESSAGE_TOO_LARGE,
        /** A response frame carries an impossible status. */
        BAD_RESPONSE
    }

    private final Kind kind;

    public ProtocolException(Kind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public ProtocolException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }

    @Override
    public String toString() {
        return "ProtocolException[" + kind + "]: " + getMessage();
    }
}
