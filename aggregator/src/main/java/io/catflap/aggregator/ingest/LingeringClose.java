package io.catflap.aggregator.ingest;

import io.netty.channel.Channel;
import io.netty.channel.socket.DuplexChannel;
import java.util.concurrent.TimeUnit;

/**
 * Ends a connection after its last answer without resetting it. Closing a socket with unread bytes in its receive
 * buffer sends a TCP reset, which can destroy the answer before the sender has read it (a sender whose request was
 * refused mid-body is still sending). So the output is shut down first — the sender reads the answer and then end
 * of stream — and the socket closed once the sender closed its side (read as end of stream), or after
 * {@link #LINGER_MILLIS}.
 */
final class LingeringClose {
    /** How long a closing connection waits for its sender to close first. */
    static final long LINGER_MILLIS = 2_000;

    private LingeringClose() {
    }

    /** Call once the last answer was flushed. */
    static void close(Channel ch) {
        if (ch instanceof DuplexChannel duplex && ch.isActive()) {
            duplex.shutdownOutput();
            ch.eventLoop().schedule(() -> ch.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        } else {
            ch.close();
        }
    }
}
