package io.catflap.aggregator.ingest;

import io.catflap.protocol.RequestFrame;
import io.catflap.protocol.ResponseFrame;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * Counts the requests of a connection whose whole answer was not written yet, the one count the idle timeout and
 * the read deadline ask too, and caps how many are passed on: at most the connection's fair share
 * ({@link PipelineShare#depth()}: all of {@link #MAX_UNANSWERED} when it is alone, one when hundreds of senders
 * wait). A request beyond it is held here, with everything that follows it, and the connection is not read until
 * answers make room. KITTEN senders pipeline frames; without the cap, a sender that never reads its answers would
 * have a request inserted for every 9-byte answer the kernel buffers on both ends still take, megabytes of them,
 * before the {@link UnwritableTimeoutHandler} sees the connection back up, and would crowd out the senders that
 * wait for theirs. A sender that does read is only slowed to the rate its answers come back.
 *
 * <p>What is held is what one read decoded past the cap (the socket is not read again until it drained), so it is
 * bounded by the read size, like a decoder's cumulation.
 *
 * <p>Sits behind the protocol's decoders and in front of the request handlers, so it sees whole requests come in and
 * whole answers go out.
 */
public final class PipelineDepthHandler extends ChannelDuplexHandler {
    /** Pipeline name. */
    public static final String NAME = "pipeline-depth";
    /** Far more than one connection needs to keep batches full, far fewer than the kernel buffers would allow. */
    static final int MAX_UNANSWERED = 128;

    private final PipelineShare share;
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    private int heldRequests;
    private int unanswered;        // passed on, answer not written yet
    private boolean answering;     // counted in the share: unanswered > 0 and the connection open
    private boolean drainScheduled;
    private boolean readDeferred;   // a read() came while requests were held

    public PipelineDepthHandler(PipelineShare share) {
        this.share = share;
    }

    /** Requests decoded on {@code ctx}'s connection whose whole answer was not written yet (held ones included). */
    static int unanswered(ChannelHandlerContext ctx) {
        PipelineDepthHandler h = ctx.pipeline().get(PipelineDepthHandler.class);
        return h == null ? 0 : h.unanswered + h.heldRequests;
    }

    /** True for the last message of a final answer: a KITTEN response, or the end of a final (not 1xx) HTTP one. */
    static boolean endsAnswer(Object msg) {
        return msg instanceof ResponseFrame || msg instanceof LastHttpContent
                && !(msg instanceof HttpResponse r && r.status().codeClass() == HttpStatusClass.INFORMATIONAL);
    }

    private static boolean isRequest(Object msg) {
        return msg instanceof RequestFrame || msg instanceof HttpRequest;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        boolean request = isRequest(msg);
        if (held.isEmpty() && (!request || unanswered < share.depth())) {
            pass(ctx, msg, request);
            return;
        }
        held.add(msg);   // keeps the order: what follows a held request waits with it
        if (request) {
            heldRequests++;
        }
        ctx.channel().config().setAutoRead(false);   // again: a handler elsewhere may have turned it on
    }

    private void pass(ChannelHandlerContext ctx, Object msg, boolean request) {
        if (request && unanswered++ == 0 && !answering) {
            answering = true;
            share.enter();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (held.isEmpty()) {
            ctx.read();
        } else {
            readDeferred = true;
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        boolean ends = endsAnswer(msg);
        if (ends && unanswered > 0) {   // answers to requests that never decoded (a malformed frame) were not counted
            if (--unanswered == 0 && answering) {
                answering = false;
                share.leave();
            }
        }
        ctx.write(msg, promise);
        if (ends && !held.isEmpty() && !drainScheduled) {
            // not from here: answers are written from inside a batch's completion, which must not take new requests
            drainScheduled = true;
            ctx.executor().execute(() -> drain(ctx));
        }
    }

    /** Passes on what was held while the share allows; reading resumes once nothing is. */
    private void drain(ChannelHandlerContext ctx) {
        drainScheduled = false;
        boolean passed = false;
        while (!held.isEmpty() && ctx.channel().isActive()) {
            boolean request = isRequest(held.peek());
            if (request && unanswered >= share.depth()) {
                break;
            }
            Object msg = held.poll();
            if (request) {
                heldRequests--;
            }
            passed = true;
            pass(ctx, msg, request);
        }
        if (passed) {
            ctx.fireChannelReadComplete();
        }
        if (held.isEmpty()) {
            ReadGateHandler.resumeReading(ctx);
            if (readDeferred) {
                // turning auto-read on when it already is does not read: the read held back above must be redone
                readDeferred = false;
                if (ctx.channel().config().isAutoRead()) {
                    ctx.read();
                }
            }
        } else {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        forget();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        forget();
    }

    /** The connection is gone: what was held is dropped, and it no longer takes a share. */
    private void forget() {
        for (Object msg; (msg = held.poll()) != null; ) {
            ReferenceCountUtil.release(msg);
        }
        heldRequests = 0;
        if (answering) {
            answering = false;
            share.leave();
        }
    }
}
