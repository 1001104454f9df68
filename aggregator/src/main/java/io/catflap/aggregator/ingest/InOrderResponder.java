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
        final ReplyForm form;
        InsertResult result;

        Slot(ReplyForm form) {
            this.form = form;
        }
    }

    InOrderResponder(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Reserves the next answer, to be written in {@code form}; complete the returned ack exactly once. */
    Ack next(ReplyForm form) {
        Slot slot = new Slot(form);
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

    /** Closes the connection once every answer reserved so far was written. */
    void closeWhenDrained() {
        closeWhenDrained = true;
        drain();
    }

    private void drain() {
        boolean wrote = false;
        while (!slots.isEmpty() && slots.peek().result != null) {
            Slot slot = slots.poll();
            ctx.write(new InsertReply(slot.result, closeWhenDrained && slots.isEmpty(), slot.form));
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
