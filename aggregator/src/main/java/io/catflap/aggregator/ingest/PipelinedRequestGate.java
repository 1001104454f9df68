package io.catflap.aggregator.ingest;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * Lets one HTTP request at a time through to the handlers behind it: a request pipelined behind one that is not
 * yet answered is held, and the connection is not read further, until that answer has been written whole. HTTP/1.1
 * answers must come in request order, and the insert and select paths answer independently (an insert when its
 * batch commits, a SELECT as ClickHouse streams it), so without this an insert's answer could land inside a
 * streamed SELECT's body. Holding costs at most what one socket read decoded: auto-read is off while holding (and
 * turned off again if another handler turned it on), and the read permit is given back, since nothing is read.
 *
 * <p>Sits right behind the HTTP codec (and the idle timeout), before the {@code Expect: 100-continue} handler, so
 * that a held request is not told to continue either.
 */
final class PipelinedRequestGate extends ChannelDuplexHandler {
    private final ArrayDeque<Object> held = new ArrayDeque<>(4);
    /** A request passed through whose answer has not been written whole. */
    private boolean answering;
    /** Auto-read was turned off here, to be turned on again when the held requests go through. */
    private boolean paused;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!held.isEmpty() || answering && msg instanceof HttpRequest) {
            if (held.isEmpty()) {
                ReadGateHandler.requestRead(ctx);   // nothing is being read while this waits
            }
            held.add(msg);
            paused = true;
            ctx.channel().config().setAutoRead(false);
            return;
        }
        if (msg instanceof HttpRequest) {
            answering = true;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (held.isEmpty()) {
            ctx.read();
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        boolean ends = PipelineDepthHandler.endsAnswer(msg);
        ctx.write(msg, promise);
        if (ends) {
            answering = false;
            ctx.executor().execute(() -> release(ctx));   // after the writer's own call finished
        }
    }

    /** Lets held messages through up to the start of the next request that must wait. */
    private void release(ChannelHandlerContext ctx) {
        boolean released = false;
        while (!held.isEmpty() && !(answering && held.peek() instanceof HttpRequest) && ctx.channel().isActive()) {
            Object msg = held.poll();
            if (msg instanceof HttpRequest) {
                answering = true;
            }
            released = true;
            ctx.fireChannelRead(msg);
        }
        if (released) {
            ctx.fireChannelReadComplete();
        }
        if (held.isEmpty() && paused && ctx.channel().isActive() && ctx.channel().isWritable()) {
            paused = false;
            ctx.channel().config().setAutoRead(true);   // unwritable: reading resumes when the answers drained
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (held.isEmpty()) {
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        discard();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        discard();
    }

    private void discard() {
        while (!held.isEmpty()) {
            ReferenceCountUtil.release(held.poll());
        }
    }
}
