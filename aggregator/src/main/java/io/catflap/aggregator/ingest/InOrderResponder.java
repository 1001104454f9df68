package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.Ack;
import io.catflap.aggregator.batch.InsertResult;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import java.util.ArrayDeque;

/**
 * Answers the requests of one connection in the order they arrived, whatever order their inserts finish in.
 * Runs on the connection's event loop; {@link Ack}s it hands out may complete on any thread. Writes
 * {@link InsertReply}s, which the protocol's reply encoder turns into bytes.
 */
final class InOrderResponder {
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
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> LingeringClose.close(ctx.channel()));
        } else if (wrote) {
            ctx.flush();
        }
    }
}
