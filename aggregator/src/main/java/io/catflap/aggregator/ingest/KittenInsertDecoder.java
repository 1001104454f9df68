package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.BatchKey;
import io.catflap.aggregator.batch.InsertFormat;
import io.catflap.protocol.Lz4Body;
import io.catflap.protocol.ProtocolException;
import io.catflap.protocol.RequestFrame;
import io.catflap.protocol.TableSpec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One KITTEN request frame → one whole {@link Insert} (LZ4 bodies inflated), or a {@link Refusal}: a bad table
 * string, a forbidden table or a bad LZ4 body is refused and the connection goes on; a malformed frame (the stream
 * is out of step) or an oversize body is refused and the connection closed after the answer.
 */
final class KittenInsertDecoder extends MessageToMessageDecoder<RequestFrame> {
    private static final Logger log = LoggerFactory.getLogger(KittenInsertDecoder.class);
    /** Table strings a connection keeps parsed; past it the memo starts afresh. */
    static final int MAX_KEYS = 64;


    private final int maxRequestBytes;
    private final AccessPolicy.Grant grant;
    private final boolean dedup;

    /**
     * The keys of the table strings let in so far, one map per format: a connection mostly writes a few tables,
     * and parsing a string into a key costs several times the frame's decoding. Only strings let in are kept (a
     * connection's access never changes).
     */
    private final Map<String, BatchKey> valuesKeys = new HashMap<>();
    private final Map<String, BatchKey> rowBinaryKeys = new HashMap<>();

    /**
     * @param grant which tables the connection may write; its token scopes the connection's idempotency keys
     * @param dedup the connection asked for idempotency keys to be honoured (and the server keeps a window)
     */
    KittenInsertDecoder(int maxRequestBytes, AccessPolicy.Grant grant, boolean dedup) {
        this.maxRequestBytes = maxRequestBytes;
        this.grant = grant;
        this.dedup = dedup;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, RequestFrame frame, List<Object> out) {
        ReadGateHandler.requestRead(ctx);   // the frame was read whole
        Map<String, BatchKey> keys = frame.rowBinary() ? rowBinaryKeys : valuesKeys;
        BatchKey key = keys.get(frame.table());
        if (key == null) {
            TableSpec spec;
            try {
                spec = TableSpec.parse(frame.table());
            } catch (ProtocolException e) {
                out.add(new Refusal("bad_table", 400, e.getMessage(), false));
                return;
            }
            Refusal forbidden = grant.refuseTable(spec, false);
            if (forbidden != null) {
                out.add(forbidden);
                return;
            }
            if (keys.size() >= MAX_KEYS) {
                keys.clear();
            }
            key = BatchKey.of(spec, frame.rowBinary() ? InsertFormat.ROW_BINARY : InsertFormat.VALUES);
            keys.put(frame.table(), key);
        }
        ByteBuf body;
        try {
            // the inflated size is checked against the limit before inflating
            body = frame.lz4() ? Lz4Body.decompress(frame.content(), maxRequestBytes, ctx.alloc())
                    : frame.content().retain();
        } catch (ProtocolException e) {
            out.add(new Refusal("bad_lz4", 400, e.getMessage(), false));
            return;
        }
        DedupWindow.Key dedupKey = dedup && frame.idempotencyKey() != null ? DedupWindow.key(grant.token(), frame)
                : null;
        out.add(new Insert(key, body, true, false, dedupKey, ReplyForm.PLAIN));
    }

    /** A frame the codec in front could not decode: the stream is out of step, so it ends after the answer. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ReadGateHandler.requestRead(ctx);
        if (cause instanceof DecoderException && cause.getCause() instanceof ProtocolException e) {
            boolean tooLarge = e.kind() == ProtocolException.Kind.BODY_TOO_LARGE;
            ctx.fireChannelRead(new Refusal(e.kind().name().toLowerCase(Locale.ROOT), tooLarge ? 413 : 400,
                    e.getMessage(), true));
            return;
        }
        if (cause instanceof IOException) {
            log.debug("KITTEN connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        } else {
            log.warn("KITTEN connection {} failed", ctx.channel().remoteAddress(), cause);
            ctx.fireChannelRead(new Refusal("internal_error", 500, "catflap: internal error: " + cause, true));
        }
    }
}
