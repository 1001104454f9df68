package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.Ack;
import io.catflap.aggregator.batch.InsertResult;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Takes every {@link Insert}, whichever protocol decoded it, to batching or to a {@link StreamedInsert}, and answers
 * every request in the order it arrived: an {@link InsertReply} when its rows are committed or failed, which the
 * protocol's reply encoder turns into bytes. {@link Refusal}s are answered in the same order. Anything else (HTTP
 * queries) passes on. Counts what it takes in its protocol's {@link IntakeMeters}.
 */
final class InsertHandler extends ChannelInboundHandlerAdapter {
    private final Ingest ingest;
    private final Protocol protocol;
    private final IntakeMeters meters;
    private InOrderResponder responder;
    /** Who sends on this connection, for the {@link Quarantine}; known once the first insert came. */
    private Object sender;
    /** The insert whose body is being streamed, until the body ended. */
    private StreamedInsert streaming;

    InsertHandler(Ingest ingest, Protocol protocol) {
        this.ingest = ingest;
        this.protocol = protocol;
        this.meters = ingest.intake().get(protocol);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        responder = new InOrderResponder(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Insert insert) {
            try {
                insert(ctx, insert);
            } finally {
                insert.release();
            }
        } else if (msg instanceof InsertBody more) {
            try {
                if (streaming != null) {   // else its insert was answered early: the rest is dropped
                    streaming.write(more.content(), more.last());
                    if (more.last()) {
                        streaming = null;
                    }
                }
            } finally {
                more.release();
            }
        } else if (msg instanceof Refusal refusal) {
            refuse(ctx, refusal);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    private void insert(ChannelHandlerContext ctx, Insert insert) {
        meters.request();
        Ack ack = responder.next(insert.form());
        if (insert.closeAfter()) {
            responder.closeWhenDrained();
        }
        DedupWindow dedup = insert.dedupKey() == null ? null : ctx.channel().attr(DedupWindow.ATTRIBUTE).get();
        if (dedup != null) {
            ack = dedup.claim(insert.dedupKey(), ack);
            if (ack == null) {
                return; // a repeat: answered with the first request's answer
            }
        }
        if (insert.batchable()) {
            if (sender == null) {
                sender = protocol.sender(ctx.channel());
            }
            int bytes = insert.content().readableBytes();
            long rows = ingest.submit(ctx, sender, insert.key(), insert.content(), ack);
            if (rows < 0) {
                meters.refused();
            } else {
                meters.took(bytes, rows);
            }
            return;
        }
        StreamedInsert s = new StreamedInsert(ctx, ingest, insert, ingest.track(ack), meters, () -> cutShort(ctx));
        streaming = insert.whole() ? null : s;
    }

    /** ClickHouse answered a streamed insert before its body ended: the connection ends after the answers. */
    private void cutShort(ChannelHandlerContext ctx) {
        streaming = null;
        responder.closeWhenDrained();
        ReadGateHandler.resumeReading(ctx);
    }

    private void refuse(ChannelHandlerContext ctx, Refusal refusal) {
        ingest.bad().count(refusal.reason());
        meters.refused();
        Ack ack = streaming == null ? responder.next(ReplyForm.PLAIN) : null;
        if (ack != null) {
            meters.request();   // else it ends the insert being streamed, counted already
        }
        if (refusal.close()) {
            responder.closeWhenDrained();   // before the answer, so that it says the connection closes
            ReadGateHandler.resumeReading(ctx);   // a stream may have paused reading; the rest is read and dropped
        }
        if (ack != null) {
            ack.complete(refusal.result());
        } else {
            streaming.abort(refusal.message(), refusal.result());   // the refusal is that insert's answer
            streaming = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (streaming != null) {
            streaming.abort("the client closed the connection mid-body",
                    new InsertResult(400, "the request ended before it was complete"));
            streaming = null;
        }
        ctx.fireChannelInactive();
    }
}
