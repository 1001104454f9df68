package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.BatchKey;
import io.catflap.aggregator.batch.Batcher;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * First handler of every connection: lets bytes of a new request through only with a permit from the
 * {@link ReadGate}, or while the request is small. Without one, auto-read goes off and the chunk already read is
 * held until the permit comes.
 *
 * <p>A request's first {@link #FREE_REQUEST_BYTES} need no permit while the gate's budget for such bytes lasts and
 * batch memory is not under pressure: single-row inserts, KITTEN handshakes and HTTP heads are read at once, and a
 * sender that stalls after a few bytes holds a few bytes of the budget, not one of the {@code max-readers} permits
 * that larger requests need. Memory stays bounded: by the budget, not by the number of connections.
 * Handlers further on call {@link #requestRead} when a request was read completely, which returns the permit
 * before the request is answered. Between requests auto-read stays on, so idle keep-alive connections hold no
 * permit and notice a peer's close. While waiting, read requests from handlers further on are held back too.
 *
 * <p>A connection whose request went to a table with too many sealed batches waiting is parked
 * ({@link #parkIfCongested}): auto-read off and no permit asked for its next request until that table drained,
 * while connections to other tables go on.
 *
 * <p>A permit is held only while bytes arrive: the {@link ReadDeadlineHandler} behind this one takes it back from a
 * sender that falls behind. A connection whose answers are not read is not read either
 * ({@link UnwritableTimeoutHandler}): auto-read stays off while the channel is not writable.
 */
public final class ReadGateHandler extends ChannelDuplexHandler implements ReadGate.Waiter {
    /** Pipeline name. */
    public static final String NAME = "gate";

    /** How much of a request is read without a permit: a frame or an HTTP head with room to spare. */
    static final int FREE_REQUEST_BYTES = 16 << 10;

    /** FREE: reading a small request without a permit; READING: with one. */
    private enum State { IDLE, FREE, READING, WAITING, PARKED, CLOSED }

    private final ReadGate gate;
    private final BadRequests bad;
    private final ArrayDeque<Object> held = new ArrayDeque<>(2);
    private volatile State state = State.IDLE;
    /** Requests started so far: tells a request being read from the next one (see {@link ReadDeadlineHandler}). */
    private long requests;
    /** Bytes of the current request taken from the gate's budget for requests read without a permit. */
    private int freeBytes;
    /** Congested keys this connection waits for while parked. */
    private int parks;
    private ChannelHandlerContext ctx;

    public ReadGateHandler(ReadGate gate, BadRequests bad) {
        this.gate = gate;
        this.bad = bad;
    }

    /** True while this connection holds a permit (read by the receive-buffer allocator). */
    boolean hasPermit() {
        return state == State.READING;
    }

    /** True while a request is being read, with a permit or without one. */
    boolean reading() {
        return state == State.READING || state == State.FREE;
    }

    /** How many requests this connection started so far; changes when a new request starts being read. */
    long requests() {
        return requests;
    }

    /** True while no request is being read, none waits for a permit and the connection is not parked. */
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

    /**
     * Turns auto-read back on after it was off for a reason of the connection's own (its answers were not read),
     * unless the gate itself keeps it off (waiting for a permit, parked).
     */
    static void resumeReading(ChannelHandlerContext ctx) {
        ReadGateHandler h = ctx.pipeline().get(ReadGateHandler.class);
        if (h != null && (h.state == State.READING || h.state == State.FREE || h.state == State.IDLE)) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /**
     * Call after a request read completely was handed to batching under {@code key}: while that key has too many
     * sealed batches waiting upstream, this connection is parked — its next request is not read (its bytes stay in
     * the kernel) until they drained. The request itself is in the batch and counted against the batch memory.
     */
    static void parkIfCongested(ChannelHandlerContext ctx, Batcher batcher, BatchKey key) {
        ReadGateHandler h = ctx.pipeline().get(ReadGateHandler.class);
        if (h != null && (h.state == State.IDLE || h.state == State.PARKED)
                && batcher.parkIfCongested(key, h::resume)) {
            h.park();
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        ctx.channel().config().setRecvByteBufAllocator(new GatedRecvByteBufAllocator(this::hasPermit));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(false);   // a handler further on may have turned it on
        }
        switch (state) {
            case READING -> ctx.fireChannelRead(msg);
            case FREE -> {
                if (takeFree(msg)) {
                    ctx.fireChannelRead(msg);
                } else {   // the request outgrew what is read without a permit
                    held.add(msg);
                    admitHeld();
                }
            }
            case WAITING -> held.add(msg);
            case PARKED -> {
                held.add(msg);
                ctx.channel().config().setAutoRead(false);   // a handler further on may have turned it on
            }
            case CLOSED -> ReferenceCountUtil.release(msg);
            case IDLE -> {
                requests++;
                if (takeFree(msg)) {
                    state = State.FREE;
                    ctx.fireChannelRead(msg);
                } else {
                    held.add(msg);
                    admitHeld();
                }
            }
        }
    }

    /** Takes {@code msg}'s bytes from the budget for small requests, if the request stays small and there is room. */
    private boolean takeFree(Object msg) {
        int n = msg instanceof ByteBuf b ? b.readableBytes() : 0;
        if (freeBytes + n > FREE_REQUEST_BYTES || !gate.takeFree(n)) {
            return false;
        }
        freeBytes += n;
        return true;
    }

    private void releaseFree() {
        gate.releaseFree(freeBytes);
        freeBytes = 0;
    }

    /** A new request starts with the held chunks: asks for a permit for it. */
    private void admitHeld() {
        switch (gate.acquire(this)) {
            case GRANTED -> {
                state = State.READING;
                fireHeld();
            }
            case QUEUED -> {
                state = State.WAITING;
                ctx.channel().config().setAutoRead(false);
            }
            case CLOSED -> {
                held.forEach(ReferenceCountUtil::release);
                held.clear();
                ctx.close();
            }
        }
    }

    /** Passes held chunks on while the connection reads; a chunk behind a finished request asks anew. */
    private void fireHeld() {
        while (!held.isEmpty() && state == State.READING) {
            ctx.fireChannelRead(held.poll());
        }
        if (state == State.IDLE && !held.isEmpty()) {
            admitHeld();
        }
    }

    /** While waiting or parked, nothing further on may read ahead: the point is to leave the bytes in the kernel. */
    @Override
    public void read(ChannelHandlerContext ctx) {
        if (state != State.WAITING && state != State.PARKED) {
            ctx.read();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (held.isEmpty()) {
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
            fireHeld();
            if (state != State.CLOSED) {
                ctx.fireChannelReadComplete();
            }
            if ((state == State.READING || state == State.IDLE) && ctx.channel().isWritable()) {
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
            gate.release();
        }
        if (state == State.READING || state == State.FREE) {
            state = State.IDLE;
            releaseFree();
        }
    }

    private void park() {
        parks++;
        if (state == State.IDLE) {
            state = State.PARKED;
            gate.parked(1);
            ctx.channel().config().setAutoRead(false);
        }
    }

    /** A key this connection was parked for drained (any thread). */
    private void resume() {
        ctx.executor().execute(() -> {
            if (state != State.PARKED || --parks > 0) {
                return;
            }
            state = State.IDLE;
            gate.parked(-1);
            if (!held.isEmpty()) {
                admitHeld();
                if (state != State.CLOSED) {
                    ctx.fireChannelReadComplete();
                }
            }
            if ((state == State.READING || state == State.IDLE) && ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        State was = state;
        state = State.CLOSED;
        if (was == State.READING || was == State.FREE) {
            bad.count("client_gone_mid_request");
        }
        if (was == State.READING) {
            gate.release();
        } else if (was == State.WAITING) {
            gate.cancel(this);
        } else if (was == State.PARKED) {
            gate.parked(-1);
        }
        releaseFree();
        held.forEach(ReferenceCountUtil::release);
        held.clear();
        ctx.fireChannelInactive();
    }
}
