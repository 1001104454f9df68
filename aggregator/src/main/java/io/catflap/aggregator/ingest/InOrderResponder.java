package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.Ack;
import io.catflap.aggregator.batch.InsertResult;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * Answers the requests of one connection in the order they arrived, whatever order their inserts finish in.
 * Runs on the connection's event loop; {@link Ack}s it hands out may complete on any thread. Writes
 * {@link InsertReply}s, which the protocol's reply encoder turns into bytes.
 */
final class InOrderResponder {
    /** How long a closing connection waits for its sender to close first; see {@link #lingeringClose}. */
    static final long LINGER_MILLIS = 2_000;

    private final ChannelHandlerContext ctx;
    private final ArrayDeque<Slot> slots = new ArrayDeque<>();
    private boolean closeWhenDrained;
    private boolean closing;

    private static final class Slot {
        InsertResult result;
    }

    InOrderResponder(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Reserves the next answer; complete the returned ack exactly once. */
    Ack next() {
        Slot slot = new Slot();
        slots.add(slot);
        return result -> {
            slot.result = result;   // an immutable record: safe to read from the event loop at any time
            if (ctx.executor().inEventLoop()) {
                drain();
            } else {
                ctx.executor().execute(this::drain);
            }
        };
    }

    /** Answers the next request right away (in order behind the pending ones). */
    void answer(InsertResult result) {
        next().complete(result);
    }

    /** Closes the connection once every answer reserved so far was written. */
    void closeWhenDrained() {
        closeWhenDrained = true;
        drain();
    }

    private void drain() {
        boolean wrote = false;
        while (!slots.isEmpty() && slots.peek().result != null) {
            InsertResult result = slots.poll().result;
            ctx.write(new InsertReply(result, closeWhenDrained && slots.isEmpty()));
            wrote = true;
        }
        if (closeWhenDrained && slots.isEmpty() && !closing) {
            closing = true;
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> lingeringClose());
        } else if (wrote) {
            ctx.flush();
        }
    }

    /**
     * Ends the connection after its last answer without resetting it. Closing a socket with unread bytes in its
     * receive buffer sends a TCP reset, which can destroy the answer before the sender has read it (a sender
     * whose request was refused mid-body is still sending). So the output is shut down first — the sender reads
     * the answer and then end of stream — and the socket closed once the sender closed its side, or after
     * {@link #LINGER_MILLIS}.
     */
    private void lingeringClose() {
        if (ctx.channel() instanceof DuplexChannel duplex && ctx.channel().isActive()) {
            duplex.shutdownOutput();
            ctx.executor().schedule(() -> ctx.channel().close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        } else {
            ctx.channel().close();
        }
    }
}
