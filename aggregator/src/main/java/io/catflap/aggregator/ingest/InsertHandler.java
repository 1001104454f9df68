package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.Ack;
import io.catflap.aggregator.batch.InsertResult;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Takes every {@link Insert}, whichever protocol decoded it, to batching or to a {@link StreamedInsert}, and answers
 * every request in the order it arrived: an {@link InsertReply} when its rows are committed or failed, which the
 * protocol's reply encoder turns into bytes. {@link Refusal}s are answered in the same order. Anything else (HTTP
 * queries) passes on.
 */
final class InsertHandler extends ChannelInboundHandlerAdapter {
    private final Ingest ingest;
    private InOrderResponder responder;
    /** The insert whose body is being streamed, until the body ended. */
    private StreamedInsert streaming;

    InsertHandler(Ingest ingest) {
        this.ingest = ingest;
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
            ingest.submit(ctx, insert.key(), insert.content(), ack);
            return;
        }
        StreamedInsert s = new StreamedInsert(ctx, ingest, insert, ingest.track(ack), () -> cutShort(ctx));
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
        Ack ack = streaming == null ? responder.next(ReplyForm.PLAIN) : null;
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
