package io.catflap.client.kitten;

import io.catflap.protocol.Handshake;
import io.catflap.protocol.HandshakeReply;
import io.catflap.protocol.Kitten;
import io.catflap.protocol.ResponseFrameDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Client side of the handshake: writes {@code KITTEN / HTTP/1.1} (asking for idempotency keys, {@code dedup}) when the
 * connection is up, reads the reply and, on MEOW, replaces itself with a {@link ResponseFrameDecoder} (bytes that came
 * after MEOW are passed on) and completes {@link #result()} with the reply, which says whether keys may be sent. Any
 * other reply, or none within the timeout, completes it exceptionally and closes the connection.
 */
final class KittenHandshakeHandler extends ByteToMessageDecoder {
    private final String bearerToken;
    private final Duration timeout;
    private final CompletableFuture<HandshakeReply.Result> result = new CompletableFuture<>();
    private ScheduledFuture<?> timer;

    KittenHandshakeHandler(String bearerToken, Duration timeout) {
        this.bearerToken = bearerToken;
        this.timeout = timeout;
    }

    CompletableFuture<HandshakeReply.Result> result() {
        return result;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(Handshake.encode(bearerToken, List.of(Kitten.FEATURE_DEDUP))));
        timer = ctx.executor().schedule(() -> fail(ctx, new KittenUnsupportedException(
                "no answer to the KITTEN handshake within " + timeout.toMillis() + " ms")),
                timeout.toMillis(), TimeUnit.MILLISECONDS);
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        HandshakeReply.Result reply;
        try {
            reply = HandshakeReply.decode(in, Kitten.MAX_HANDSHAKE_BYTES);
        } catch (RuntimeException e) {
            fail(ctx, new KittenUnsupportedException("KITTEN handshake answered with something else: " + e.getMessage()));
            return;
        }
        if (reply == null) {
            return;
        }
        if (reply.meow()) {
            cancelTimer();
            ctx.pipeline().replace(this, "kitten-responses", new ResponseFrameDecoder(Kitten.MAX_RESPONSE_MESSAGE_BYTES));
            result.complete(reply);
        } else if (reply.status() == 401 || reply.status() == 403) {
            // A catflap aggregator refusing the token: falling back to HTTP would not help, it is a setup error.
            fail(ctx, new InsertException(reply.status(), reply.body()));
        } else {
            fail(ctx, new KittenUnsupportedException("KITTEN handshake answered with HTTP " + reply.status()));
        }
    }

    /** A failed TLS handshake is reported as such, before the close it ends in. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent e && !e.isSuccess()) {
            fail(ctx, e.cause());
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        fail(ctx, new IOException(ctx.channel().remoteAddress() + " closed the connection during the KITTEN handshake"));
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, cause);
    }

    private void fail(ChannelHandlerContext ctx, Throwable cause) {
        cancelTimer();
        if (result.completeExceptionally(cause)) {
            ctx.close();
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
        }
    }
}
