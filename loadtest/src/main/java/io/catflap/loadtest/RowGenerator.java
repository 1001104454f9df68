package io.catflap.loadtest;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes rows of the load-test table {@code (tag String, host UInt32, seq UInt64, ts DateTime, payload String)}.
 *
 * <p>Every row carries the run tag, and {@code (host, seq)} is unique per table within a run, which is what the
 * verifier counts. The payload is random letters sized so that a row is about {@code rowSize} bytes. Text
 * formats write {@code ts} as a quoted Unix time, which ClickHouse reads independently of its time zone.
 */
public final class RowGenerator {
    /** The column list every body is written for. */
    public static final String COLUMNS = "tag, host, seq, ts, payload";
    /** Column DDL for a table the harness can fill. */
    public static final String COLUMNS_DDL = "tag String, host UInt32, seq UInt64, ts DateTime, payload String";

    private static final byte[] ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".getBytes(StandardCharsets.US_ASCII);

    private final RowFormat format;
    private final byte[] tag;
    private final byte[] tagText;
    private final byte[] payload;

    public RowGenerator(RowFormat format, String tag, int rowSize) {
        this.format = format;
        this.tag = tag.getBytes(StandardCharsets.UTF_8);
        this.tagText = switch (format) {
            case VALUES -> SqlText.quote(tag).getBytes(StandardCharsets.UTF_8);
            case JSONEACHROW -> SqlText.jsonString(tag).getBytes(StandardCharsets.UTF_8);
            case ROWBINARY -> this.tag;
        };
        this.payload = new byte[Math.max(1, rowSize - this.tag.length - 16)];
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < payload.length; i++) {
            payload[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
    }

    public RowFormat format() {
        return format;
    }

    /** Appends {@code count} rows with sequence numbers {@code firstSeq, firstSeq+1, ...} to {@code out}. */
    public void write(ByteBuf out, int host, long firstSeq, int count, long epochSecond) {
        String ts = Long.toString(epochSecond);
        for (int i = 0; i < count; i++) {
            long seq = firstSeq + i;
            switch (format) {
                case VALUES -> {
                    if (i > 0) {
                        out.writeByte(',');
                    }
                    out.writeByte('(').writeBytes(tagText).writeByte(',');
                    out.writeCharSequence(Integer.toUnsignedString(host), StandardCharsets.US_ASCII);
                    out.writeByte(',');
                    out.writeCharSequence(Long.toUnsignedString(seq), StandardCharsets.US_ASCII);
                    out.writeCharSequence(",'" + ts + "','", StandardCharsets.US_ASCII);
                    out.writeBytes(payload).writeByte('\'').writeByte(')');
                }
                case ROWBINARY -> {
                    writeString(out, tag);
                    out.writeIntLE(host);
                    out.writeLongLE(seq);
                    out.writeIntLE((int) epochSecond);
                    writeString(out, payload);
                }
                case JSONEACHROW -> {
                    out.writeCharSequence("{\"tag\":", StandardCharsets.US_ASCII);
                    out.writeBytes(tagText);
                    out.writeCharSequence(",\"host\":" + Integer.toUnsignedString(host) + ",\"seq\":" + Long.toUnsignedString(seq)
                            + ",\"ts\":\"" + ts + "\",\"payload\":\"", StandardCharsets.US_ASCII);
                    out.writeBytes(payload).writeByte('"').writeByte('}').writeByte('\n');
                }
            }
        }
    }

    private static void writeString(ByteBuf out, byte[] s) {
        long len = s.length;
        while (len >= 0x80) {
            out.writeByte((int) (len & 0x7F) | 0x80);
            len >>>= 7;
        }
        out.writeByte((int) len);
        out.writeBytes(s);
    }
}
