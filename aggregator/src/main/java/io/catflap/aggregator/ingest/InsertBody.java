package io.catflap.aggregator.ingest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/** More of the body of the {@link Insert} before it, which is being streamed upstream; owns its bytes. */
public final class InsertBody extends DefaultByteBufHolder {
    private final boolean last;

    public InsertBody(ByteBuf content, boolean last) {
        super(content);
        this.last = last;
    }

    /** True for the body's end. */
    public boolean last() {
        return last;
    }
}
