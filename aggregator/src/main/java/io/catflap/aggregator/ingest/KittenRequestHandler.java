package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.Ack;
import io.catflap.aggregator.batch.BatchKey;
import io.catflap.aggregator.batch.InsertFormat;
import io.catflap.aggregator.batch.InsertResult;
import io.catflap.protocol.Lz4Body;
import io.catflap.protocol.ProtocolException;
import io.catflap.protocol.RequestFrame;
import io.catflap.protocol.ResponseFrame;
import io.catflap.protocol.TableSpec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.Locale;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One KITTEN request frame → its rows into batching, its answer as a response frame in request order. A bad table
 * string, a forbidden table or a bad LZ4 body is answered (400/403) and the connection goes on; a malformed frame
 * (stream out of step) or an oversize body is answered (400/413) and the connection closed. A frame whose idempotency
 * key the {@link DedupWindow} has seen is answered from there, without inserting its rows again.
 */
final class KittenRequestHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(KittenRequestHandler.class);

    private final Ingest ingest;
    private final Predicate<TableSpec> access;
    private final DedupWindow dedup;
    private final String token;
    private InOrderResponder responder;
    /**
     * The table string of the last frame let in and its key: a connection mostly writes one table, and parsing the
     * string into a key costs several times the frame's decoding. Only strings let in are kept (a connection's
     * access never changes).
     */
    private String lastTable;
    private BatchKey lastKey;

    /**
     * @param dedup the server's dedup window, or null: idempotency keys are then ignored
     * @param token the connection's bearer token (or null), which scopes its idempotency keys
     */
    KittenRequestHandler(Ingest ingest, Predicate<TableSpec> access, DedupWindow dedup, String token) {
        this.ingest = ingest;
        this.access = access;
        this.dedup = dedup;
        this.token = token;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        responder = new InOrderResponder(ctx, (r, last) -> new ResponseFrame(r.status(), r.message()));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof RequestFrame frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            ReadGateHandler.requestRead(ctx);
            handle(ctx, frame);
        } finally {
            frame.release();
        }
    }

    private void handle(ChannelHandlerContext ctx, RequestFrame frame) {
        BatchKey key = key(frame);
        if (key == null) {
            return;
        }
        Ack ack = responder.next();
        if (dedup != null && frame.idempotencyKey() != null) {
            ack = dedup.claim(token, frame, ack);
            if (ack == null) {
                return; // a repeat: answered with the first request's answer
            }
        }
        if (!frame.lz4()) {
            ingest.submit(ctx, key, frame.content(), ack);
            return;
        }
        ByteBuf raw;
        try {
            raw = Lz4Body.decompress(frame.content(), ingest.maxRequestBytes(), ctx.alloc());
        } catch (ProtocolException e) {
            ingest.bad().count("bad_lz4");
            ack.complete(new InsertResult(400, e.getMessage()));
            return;
        }
        try {
            ingest.submit(ctx, key, raw, ack);
        } finally {
            raw.release();
        }
    }

    /** The frame's batch key, or null when its table string was refused (and answered). */
    private BatchKey key(RequestFrame frame) {
        String table = frame.table();
        InsertFormat format = frame.rowBinary() ? InsertFormat.ROW_BINARY : InsertFormat.VALUES;
        if (lastKey != null && table.equals(lastTable) && format.equals(lastKey.format())) {
            return lastKey;
        }
        TableSpec spec;
        try {
            spec = TableSpec.parse(table);
        } catch (ProtocolException e) {
            reject("bad_table", 400, e.getMessage());
            return null;
        }
        if (!access.test(spec)) {
            reject("forbidden_table", 403, "this token may not insert into " + spec.withoutShard());
            return null;
        }
        lastTable = table;
        lastKey = BatchKey.of(spec, format);
        return lastKey;
    }

    private void reject(String reason, int status, String message) {
        ingest.bad().count(reason);
        responder.answer(new InsertResult(status, message));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException && cause.getCause() instanceof ProtocolException e) {
            boolean tooLarge = e.kind() == ProtocolException.Kind.BODY_TOO_LARGE;
            reject(e.kind().name().toLowerCase(Locale.ROOT), tooLarge ? 413 : 400, e.getMessage());
        } else if (cause instanceof IOException) {
            log.debug("KITTEN connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("KITTEN connection {} failed", ctx.channel().remoteAddress(), cause);
        }
        ReadGateHandler.requestRead(ctx);
        responder.closeWhenDrained();
    }
}
