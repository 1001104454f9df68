package io.catflap.client.kitten;

import io.catflap.protocol.ResponseFrame;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * Matches response frames to requests in order (the protocol answers in request order). A connection that is lost,
 * sends garbage or leaves its oldest request unanswered past the response timeout fails every request still waiting
 * on it. Event-loop confined.
 */
final class KittenResponseHandler extends SimpleChannelInboundHandler<ResponseFrame> {
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private final long responseTimeoutNanos;

    private record Waiting(CompletableFuture<ResponseFrame> answer, long sentNanos) {
    }

    KittenResponseHandler(long responseTimeoutNanos) {
        this.responseTimeoutNanos = responseTimeoutNanos;
    }

    /** Called on the event loop right before the request's frame is written. */
    void expect(CompletableFuture<ResponseFrame> answer) {
        waiting.add(new Waiting(answer, System.nanoTime()));
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ResponseFrame frame) {
        Waiting next = waiting.poll();
        CompletableFuture<ResponseFrame> answer = next == null ? null : next.answer;
        if (answer == null) {
            exceptionCaught(ctx, new IOException("unsolicited response from " + ctx.channel().remoteAddress()));
        } else if (frame.ok()) {
            answer.complete(frame);
        } else {
            answer.completeExceptionally(new InsertException(frame.status(), frame.message()));
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent idle) {
            // Nothing read for a while; a timeout only if the oldest request has waited that long too (it may have been
            // written just now on a connection that was quiet before).
            if (idle.state() == IdleState.READER_IDLE && !waiting.isEmpty()
                    && System.nanoTime() - waiting.peek().sentNanos >= responseTimeoutNanos) {
                failAll(new IOException(ctx.channel().remoteAddress() + " did not answer in time"));
                ctx.close();
            } else if (idle.state() == IdleState.ALL_IDLE && waiting.isEmpty()) {
                ctx.close();
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        failAll(new IOException("connection to " + ctx.channel().remoteAddress() + " closed"));
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failAll(cause instanceof IOException ? cause
                : new IOException("bad response from " + ctx.channel().remoteAddress() + ": " + cause.getMessage(), cause));
        ctx.close();
    }

    private void failAll(Throwable cause) {
        Waiting w;
        while ((w = waiting.poll()) != null) {
            w.answer.completeExceptionally(cause);
        }
    }
}
