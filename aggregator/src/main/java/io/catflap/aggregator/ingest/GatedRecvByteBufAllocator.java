package io.catflap.aggregator.ingest;

import io.netty.channel.DefaultMaxMessagesRecvByteBufAllocator;
import java.util.function.BooleanSupplier;

/**
 * Receive buffers sized by whether the connection holds a read permit: a connection without one reads at most one
 * small chunk (enough to see that a request starts, then auto-read goes off), so that idle and waiting connections
 * cost {@code small} bytes each however many there are. One instance per channel.
 */
final class GatedRecvByteBufAllocator extends DefaultMaxMessagesRecvByteBufAllocator {
    /** Enough for a KITTEN handshake and a small frame, or an HTTP request head. */
    static final int SMALL = 1024;
    /** Reading a request body: large reads keep syscalls few; the permit count bounds how many there are. */
    static final int LARGE = 64 << 10;

    private final BooleanSupplier hasPermit;

    GatedRecvByteBufAllocator(BooleanSupplier hasPermit) {
        this.hasPermit = hasPermit;
    }

    @Override
    public Handle newHandle() {
        return new MaxMessageHandle() {
            @Override
            public int guess() {
                return hasPermit.getAsBoolean() ? LARGE : SMALL;
            }
        };
    }
}
