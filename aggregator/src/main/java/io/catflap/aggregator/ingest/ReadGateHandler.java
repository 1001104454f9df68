package io.catflap.aggregator.ingest;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * First handler of every connection: lets bytes of a new request through only with a permit from the
 * {@link ReadGate}. Without one, auto-read goes off and the chunk already read is held until the permit comes.
 * Handlers further on call {@link #requestRead} when a request was read completely, which returns the permit
 * before the request is answered. Between requests auto-read stays on, so idle keep-alive connections hold no
 * permit and notice a peer's close. While waiting, read requests from handlers further on are held back too.
 */
public final class ReadGateHandler extends ChannelDuplexHandler implements ReadGate.Waiter {
    /** Pipeline name. */
    public static final String NAME = "gate";

    private enum State { IDLE, READING, WAITING, CLOSED }

    private final ReadGate gate;
    private final BadRequests bad;
    private final ArrayDeque<Object> held = new ArrayDeque<>(2);
    private volatile State state = State.IDLE;
    private ChannelHandlerContext ctx;

    public ReadGateHandler(ReadGate gate, BadRequests bad) {
        this.gate = gate;
        this.bad = bad;
    }

    /** True while this connection holds a permit (read by the receive-buffer allocator). */
    boolean reading() {
        return state == State.READING;
    }

    /** True while no request is being read and none waits for a permit (read by the idle timeout). */
    boolean betweenRequests() {
        return state == State.IDLE;
    }

    /** Tells the gate handler of {@code ctx}'s channel that the current request was read completely. */
    public static void requestRead(ChannelHandlerContext ctx) {
        ReadGateHandler h = ctx.pipeline().get(ReadGateHandler.class);
        if (h != null) {
            h.requestRead();
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        ctx.channel().config().setRecvByteBufAllocator(new GatedRecvByteBufAllocator(this::reading));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        switch (state) {
            case READING -> ctx.fireChannelRead(msg);
            case WAITING -> held.add(msg);
            case CLOSED -> ReferenceCountUtil.release(msg);
            case IDLE -> {
                switch (gate.acquire(this)) {
                    case GRANTED -> {
                        state = State.READING;
                        ctx.fireChannelRead(msg);
                    }
                    case QUEUED -> {
                        state = State.WAITING;
                        ctx.channel().config().setAutoRead(false);
                        held.add(msg);
                    }
                    case CLOSED -> {
                        ReferenceCountUtil.release(msg);
                        ctx.close();
                    }
                }
            }
        }
    }

    /** While waiting, nothing further on may read ahead: the point is to leave the bytes in the kernel. */
    @Override
    public void read(ChannelHandlerContext ctx) {
        if (state != State.WAITING) {
            ctx.read();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (state != State.WAITING) {
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void granted() {
        ctx.executor().execute(() -> {
            if (state != State.WAITING) {
                gate.release();
                return;
            }
            state = State.READING;
            while (!held.isEmpty() && state != State.CLOSED) {
                ctx.fireChannelRead(held.poll());
            }
            if (state != State.CLOSED) {
                ctx.fireChannelReadComplete();
                ctx.channel().config().setAutoRead(true);
            }
        });
    }

    @Override
    public void refused() {
        ctx.executor().execute(ctx::close);
    }

    private void requestRead() {
        if (state == State.READING) {
            state = State.IDLE;
            gate.release();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        State was = state;
        state = State.CLOSED;
        if (was == State.READING) {
            bad.count("client_gone_mid_request");
            gate.release();
        } else if (was == State.WAITING) {
            gate.cancel(this);
        }
        held.forEach(ReferenceCountUtil::release);
        held.clear();
        ctx.fireChannelInactive();
    }
}
