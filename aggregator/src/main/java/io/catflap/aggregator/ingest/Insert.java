package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.BatchKey;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * One INSERT as the protocol decoders hand it on, whatever protocol it came in: where the rows go ({@link #key}),
 * the rows read so far, and how the answer must be given. Owns its body: whoever takes the message releases it.
 *
 * <p>A whole body that may be merged is {@linkplain #batchable batchable} (one larger than a batch makes a batch of
 * its own). Otherwise the insert is streamed upstream on its own, and unless {@link #whole}, {@link InsertBody}
 * messages with the rest follow it: a decoder hands on a body too large to hold before it is whole.
 */
public final class Insert extends DefaultByteBufHolder {
    private final BatchKey key;
    private final boolean whole;
    private final boolean closeAfter;
    private final DedupWindow.Key dedupKey;
    private final ReplyForm form;

    /**
     * @param whole      the body is complete; else {@link InsertBody} messages follow, the last one marked
     * @param closeAfter the connection closes once this insert is answered (HTTP {@code Connection: close})
     * @param dedupKey   the sender's idempotency key for this request, or null
     * @param form       how the sender asked to be answered
     */
    public Insert(BatchKey key, ByteBuf body, boolean whole, boolean closeAfter, DedupWindow.Key dedupKey,
                  ReplyForm form) {
        super(body);
        this.key = key;
        this.whole = whole;
        this.closeAfter = closeAfter;
        this.dedupKey = dedupKey;
        this.form = form;
    }

    public BatchKey key() {
        return key;
    }

    public boolean whole() {
        return whole;
    }

    public boolean closeAfter() {
        return closeAfter;
    }

    public DedupWindow.Key dedupKey() {
        return dedupKey;
    }

    public ReplyForm form() {
        return form;
    }

    /** True when the rows go to batching; false when they are streamed upstream as their own insert. */
    public boolean batchable() {
        return whole && key.mergeable();
    }
}
