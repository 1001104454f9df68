package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.Ack;
import io.catflap.aggregator.batch.InsertResult;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
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
        return result -> ctx.executor().execute(() -> {
            slot.result = result;
            drain();
        });
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
        if (closeWhenDrained && slots.isEmpty()) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else if (wrote) {
            ctx.flush();
        }
    }
}
