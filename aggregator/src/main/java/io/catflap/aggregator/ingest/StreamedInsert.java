package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.Ack;
import io.catflap.aggregator.batch.BatchKey;
import io.catflap.aggregator.batch.InsertResult;
import io.catflap.aggregator.upstream.UpstreamExchange;
import io.catflap.aggregator.upstream.UpstreamReply;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;

/**
 * One {@link Insert} sent upstream as its own INSERT while its body arrives, instead of being held: it is larger
 * than a batch or cannot be merged. Reading pauses until the upstream connection is there and whenever it cannot
 * take more. ClickHouse may answer before the body ended (an error): the sender gets that answer and the rest of
 * the body is not read. Runs on the connection's event loop.
 */
final class StreamedInsert {
    private final ChannelHandlerContext ctx;
    private final Ingest ingest;
    private final BatchKey key;
    private final IntakeMeters meters;
    private final Runnable cutShort;
    /** Until the request was answered. */
    private Ack ack;
    /** The body received before the upstream connection was there. */
    private CompositeByteBuf pending;
    private UpstreamExchange.Stream upstream;
    private boolean ended;
    private boolean aborted;
    private long bytes;
    private long rows;

    /**
     * Starts streaming {@code insert} (its body is retained, not released).
     *
     * @param cutShort run when ClickHouse answered before the body ended: the caller reads no more of it
     */
    StreamedInsert(ChannelHandlerContext ctx, Ingest ingest, Insert insert, Ack ack, IntakeMeters meters,
                   Runnable cutShort) {
        this.ctx = ctx;
        this.meters = meters;
        this.ingest = ingest;
        this.key = insert.key();
        this.ack = ack;
        this.cutShort = cutShort;
        this.pending = HttpInsertDecoder.newBody(ctx.alloc());
        ctx.channel().config().setAutoRead(false);
        ingest.inserts().stream(key, insert.form().queryId()).addListener(f -> ctx.executor().execute(() ->
                opened((UpstreamExchange.Stream) f.getNow())));
        write(insert.content(), insert.whole());
    }

    /** More of the body (retained, not released); {@code last} at its end. */
    void write(ByteBuf chunk, boolean last) {
        bytes += chunk.readableBytes();
        rows += key.format().rowsUpperBound(chunk);
        if (upstream == null) {
            if (chunk.isReadable()) {
                pending.addComponent(true, chunk.retain());
            }
        } else if (chunk.isReadable()) {
            upstream.write(chunk.retain());
            if (!upstream.writable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }
        if (last) {
            ended = true;
            ingest.batcher().streamed(key, (int) Math.min(Integer.MAX_VALUE, bytes), rows);
            meters.took(bytes, rows);
            if (upstream != null) {
                upstream.end();
            }
            ReadGateHandler.resumeReading(ctx);
        }
    }

    /** The request was refused, or its client went away, before its body ended: nothing of it is inserted. */
    void abort(String why, InsertResult answer) {
        aborted = true;
        if (pending != null) {
            pending.release();
            pending = null;
        }
        if (upstream != null) {
            upstream.abort(why);
        }
        answer(answer);
    }

    private void opened(UpstreamExchange.Stream s) {
        if (aborted) {
            s.abort("the request ended before its upstream connection was there");
            return;
        }
        upstream = s;
        s.reply().addListener(f -> ctx.executor().execute(() -> replied((UpstreamReply) f.getNow())));
        s.onWritable(() -> ctx.executor().execute(() -> ReadGateHandler.resumeReading(ctx)));
        if (pending.isReadable()) {
            s.write(pending);
        } else {
            pending.release();
        }
        pending = null;
        if (ended) {
            s.end();
        }
        ReadGateHandler.resumeReading(ctx);
    }

    private void replied(UpstreamReply r) {
        upstream = null;
        if (ack != null && !ended) {
            cutShort.run();   // before the answer, so that it says the connection closes
        }
        answer(r.toResult());
    }

    private void answer(InsertResult result) {
        Ack a = ack;
        ack = null;
        if (a != null) {
            a.complete(result);
        }
    }
}
