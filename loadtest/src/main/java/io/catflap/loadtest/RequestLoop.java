package io.catflap.loadtest;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The closed request loop of one active connection: claim a request from the run, wait for its rate-limited
 * start slot, send it, wait for the answer, repeat. One request is outstanding at a time, as kittenhouse's own
 * client does. Latency is measured from the slot's start time, so a slow target also counts the time requests
 * waited behind each other (no coordinated omission).
 */
abstract class RequestLoop extends ChannelInboundHandlerAdapter {
    /** The request in flight; {@code rows} is null for a SELECT. */
    private record Pending(int table, SeqRange rows, long startNanos) {}

    protected final LoadRun run;
    protected final SimulatedHost host;
    /** The counters of this connection's destination (which count in the run's totals too). */
    protected final Stats stats;
    private ChannelHandlerContext ctx;
    private Pending pending;
    private ScheduledFuture<?> timeout;
    private boolean finished;
    private String closeReason;

    RequestLoop(LoadRun run, SimulatedHost host) {
        this.run = run;
        this.host = host;
        this.stats = run.stats(host);
    }

    /** Writes an INSERT of {@code body} (ownership passes) into {@code table}. */
    protected abstract void writeInsert(ChannelHandlerContext ctx, int table, ByteBuf body);

    /** Writes a SELECT. */
    protected abstract void writeSelect(ChannelHandlerContext ctx, String sql);

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** The connection is ready for requests (after the handshake, if any). */
    protected final void ready() {
        next();
    }

    /** The answer to the outstanding request. */
    protected final void answered(boolean ok, String error) {
        Pending p = pending;
        if (p == null) {
            fail("answer without a request");
            return;
        }
        pending = null;
        timeout.cancel(false);
        long micros = (System.nanoTime() - p.startNanos) / 1000;
        if (!ok) {
            failed(p, error);
        } else if (p.rows != null) {
            stats.insertAcked(p.table, p.rows.count(), micros);
        } else {
            stats.selectAnswered(micros);
        }
        next();
    }

    /** The connection cannot continue: remember why and close it (the request in flight, if any, fails). */
    protected final void fail(String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
        ctx.close();
    }

    /** This host has nothing more to do: no reconnect when its connection closes. */
    protected final void finish() {
        if (!finished) {
            finished = true;
            run.hostDone();
        }
    }

    private void next() {
        if (!run.claim()) {
            finish();
            return;
        }
        long start = run.limiter().reserve(System.nanoTime());
        long delay = start - System.nanoTime();
        if (delay > 0) {
            ctx.executor().schedule(() -> send(start), delay, TimeUnit.NANOSECONDS);
        } else {
            send(start);
        }
    }

    private void send(long start) {
        if (!ctx.channel().isActive()) {
            run.unclaim();
            return;
        }
        if (run.stopping()) {
            run.unclaim();
            finish();
            return;
        }
        Workload w = run.workload();
        int table = host.nextTable(w.tables().size());
        if (w.nextIsSelect()) {
            pending = new Pending(table, null, start);
            writeSelect(ctx, w.selectSql(table));
        } else {
            SeqRange rows = new SeqRange(host.id, host.takeSeq(w.rowsPerRequest()), w.rowsPerRequest());
            ByteBuf body = ctx.alloc().buffer();
            w.rows().write(body, rows.host(), rows.firstSeq(), rows.count(), System.currentTimeMillis() / 1000);
            run.stats().rowBytes.add(body.readableBytes());
            pending = new Pending(table, rows, start);
            writeInsert(ctx, table, body);
        }
        timeout = ctx.executor().schedule(
                () -> fail("timeout after " + run.requestTimeoutMillis() + " ms"), run.requestTimeoutMillis(), TimeUnit.MILLISECONDS);
    }

    private void failed(Pending p, String error) {
        if (p.rows != null) {
            stats.insertFailed(p.table, p.rows, error);
        } else {
            stats.error(error);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (timeout != null) {
            timeout.cancel(false);
        }
        Pending p = pending;
        if (p != null) {
            pending = null;
            failed(p, closeReason != null ? closeReason : "connection closed by the target");
        }
        if (!finished) {
            run.reconnect(host);
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }
}
