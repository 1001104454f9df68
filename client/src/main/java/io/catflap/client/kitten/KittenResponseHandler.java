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
 * sends garbage or stays silent past the response timeout fails every request still waiting on it. Event-loop
 * confined.
 */
final class KittenResponseHandler extends SimpleChannelInboundHandler<ResponseFrame> {
    private final ArrayDeque<CompletableFuture<ResponseFrame>> waiting = new ArrayDeque<>();

    /** Called on the event loop right before the request's frame is written. */
    void expect(CompletableFuture<ResponseFrame> answer) {
        waiting.add(answer);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ResponseFrame frame) {
        CompletableFuture<ResponseFrame> answer = waiting.poll();
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
            if (idle.state() == IdleState.READER_IDLE && !waiting.isEmpty()) {
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
        CompletableFuture<ResponseFrame> answer;
        while ((answer = waiting.poll()) != null) {
            answer.completeExceptionally(cause);
        }
    }
}
