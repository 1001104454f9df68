package io.catflap.aggregator.batch;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * Rows of many requests for one {@link BatchKey}, copied once into one buffer, with the boundaries of every
 * request kept so that the batch can be split at request boundaries when ClickHouse rejects part of it.
 *
 * <p>Every request is answered exactly once through {@link #answer}; the buffer is released when the last one
 * was answered. Appending happens under the owner's lock until the batch is sealed; after that the batch is only
 * read (slices) and answered.
 */
public final class Batch {
    private record Part(int start, int end, Ack ack) { }

    private final BatchKey key;
    private final BatchMemory memory;
    private final List<Part> parts = new ArrayList<>();
    private ByteBuf buf;
    private long accounted;
    private long rows;
    private int unanswered;

    private Batch(BatchKey key, ByteBuf buf, BatchMemory memory) {
        this.key = key;
        this.buf = buf;
        this.memory = memory;
        account();
    }

    /** An empty batch to append to; the buffer grows as requests arrive. */
    static Batch open(BatchKey key, ByteBufAllocator alloc, int initialCapacity, int maxCapacity,
                      BatchMemory memory) {
        return new Batch(key, alloc.buffer(initialCapacity, maxCapacity), memory);
    }

    /** A batch of one request whose body is inserted as it is (takes ownership of {@code body}). */
    static Batch single(BatchKey key, ByteBuf body, long rows, Ack ack, BatchMemory memory) {
        Batch b = new Batch(key, body, memory);
        b.parts.add(new Part(body.readerIndex(), body.writerIndex(), ack));
        b.rows = rows;
        b.unanswered = 1;
        return b;
    }

    /** Bytes this batch would have after appending {@code bodyBytes} (with the separator the format needs). */
    int sizeWith(int bodyBytes) {
        return buf.readableBytes() + bodyBytes + 1;
    }

    /** Copies {@code body} (not released) behind the rows already here. */
    void append(ByteBuf body, long bodyRows, Ack ack) {
        InsertFormat.Join join = key.format().join();
        if (join == InsertFormat.Join.COMMA && !parts.isEmpty()) {
            buf.writeByte(',');
        }
        int start = buf.writerIndex();
        buf.writeBytes(body, body.readerIndex(), body.readableBytes());
        if (join == InsertFormat.Join.LINE && buf.writerIndex() > start && buf.getByte(buf.writerIndex() - 1) != '\n') {
            buf.writeByte('\n');
        }
        parts.add(new Part(start, buf.writerIndex(), ack));
        rows += bodyRows;
        synchronized (this) {
            unanswered++;
        }
        account();
    }

    private void account() {
        long now = buf.capacity();
        memory.reserve(now - accounted);
        accounted = now;
    }

    public BatchKey key() {
        return key;
    }

    public int parts() {
        return parts.size();
    }

    public int bytes() {
        return buf.writerIndex() - buf.readerIndex();
    }

    public long rows() {
        return rows;
    }

    /** The rows of requests {@code [from, to)}, as a retained slice the caller must release. */
    public ByteBuf slice(int from, int to) {
        int start = parts.get(from).start();
        return buf.retainedSlice(start, parts.get(to - 1).end() - start);
    }

    /**
     * The first request boundary at or past the middle byte of requests {@code [from, to)}, strictly between them
     * ({@code to - from >= 2}): where to halve a range by size.
     */
    public int middleByBytes(int from, int to) {
        int start = parts.get(from).start();
        int middle = start + (parts.get(to - 1).end() - start) / 2;
        int lo = from + 1;
        int hi = to - 1;
        while (lo < hi) {
            int m = (lo + hi) >>> 1;
            if (parts.get(m).start() < middle) {
                lo = m + 1;
            } else {
                hi = m;
            }
        }
        return lo;
    }

    /** Answers requests {@code [from, to)}; the buffer is released once every request was answered. */
    public void answer(int from, int to, InsertResult result) {
        for (int i = from; i < to; i++) {
            parts.get(i).ack().complete(result);
        }
        boolean last;
        synchronized (this) {
            unanswered -= to - from;
            last = unanswered == 0;
        }
        if (last) {
            buf.release();
            buf = null;
            memory.release(accounted);
        }
    }
}
