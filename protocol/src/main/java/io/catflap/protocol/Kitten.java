package io.catflap.protocol;

/**
 * Constants of the KITTEN/MEOW protocol (see the module README for the wire format).
 * Values marked "kittenhouse" are the limits VK kittenhouse itself applies; staying within them keeps
 * catflap interchangeable with it in both directions.
 */
public final class Kitten {
    /** Request flag bit 0: the body is RowBinary rows; when clear the body is VALUES tuples. */
    public static final int FLAG_ROW_BINARY = 0x01;
    /** Request flag bit 1 (catflap extension): the body is a u32 raw length followed by one LZ4 block. */
    public static final int FLAG_LZ4 = 0x02;
    /**
     * Request flag bit 2 (catflap extension): the body starts with a {@value #IDEMPOTENCY_KEY_BYTES}-byte
     * idempotency key, followed by the rows (or the LZ4 body when {@link #FLAG_LZ4} is set too).
     */
    public static final int FLAG_IDEMPOTENCY_KEY = 0x04;
    /** Every flag bit this implementation understands; any other bit is a protocol error. */
    public static final int KNOWN_FLAGS = FLAG_ROW_BINARY | FLAG_LZ4 | FLAG_IDEMPOTENCY_KEY;
    /** Length of the idempotency key of {@link #FLAG_IDEMPOTENCY_KEY}. */
    public static final int IDEMPOTENCY_KEY_BYTES = 16;

    /** Largest request body kittenhouse's server accepts (20 MiB). */
    public static final int DEFAULT_MAX_BODY_BYTES = 20 << 20;
    /** kittenhouse's client closes the connection when a response message is longer than this. */
    public static final int MAX_RESPONSE_MESSAGE_BYTES = 16 << 10;
    /** Largest handshake (request or reply, headers and body) either side reads. */
    public static final int MAX_HANDSHAKE_BYTES = 8 << 10;
    /**
     * Largest table string accepted. The wire field is a u16, but no sane table string comes close:
     * a cap keeps a hostile peer from parking 64 KiB per connection in the header alone.
     */
    public static final int MAX_TABLE_BYTES = 16 << 10;

    /** Feature name for LZ4 bodies in the MEOW reply's {@link HandshakeReply#FEATURES_HEADER} (catflap extension). */
    public static final String FEATURE_LZ4 = "lz4";
    /**
     * Feature name for idempotency keys ({@link #FLAG_IDEMPOTENCY_KEY}): the server answers a repeated key from its
     * dedup window instead of inserting the rows again (catflap extension).
     */
    public static final String FEATURE_DEDUP = "dedup";

    /** The request-frame header before the table string: flags (1) + table length (2). */
    static final int REQUEST_PREFIX_BYTES = 3;
    /** The body-length field after the table string. */
    static final int BODY_LENGTH_BYTES = 4;
    /** The response-frame header: flags (1) + status (4) + message length (4). */
    static final int RESPONSE_HEADER_BYTES = 9;

    private Kitten() {
    }
}
