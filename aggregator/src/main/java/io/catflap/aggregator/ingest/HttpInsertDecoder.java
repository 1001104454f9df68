package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.BatchKey;
import io.catflap.aggregator.batch.InsertFormat;
import io.catflap.protocol.ProtocolException;
import io.catflap.protocol.TableSpec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * HTTP requests → {@link Insert}s. An INSERT — {@code POST /?query=INSERT INTO ... VALUES|FORMAT X} with rows in the
 * body, the whole statement in the body, or kittenhouse's {@code POST /?table=db.t(a,b)[&rowbinary=1]} — becomes one
 * {@code Insert} when its body is whole; a body larger than a batch, or one that cannot be merged, is handed on as
 * soon as that is known, its rest following as {@link InsertBody} chunks. A request that cannot be an insert the
 * sender meant becomes a {@link Refusal} that closes the connection; everything else (SELECT, /ping, GET,
 * INSERT ... SELECT) passes on as HTTP messages.
 *
 * <p>Every request first passes the {@link AccessPolicy}: inserts are checked against its grant (table, settings,
 * credentials in the batch key), and queries are refused or rewritten to run as granted before they pass.
 *
 * <p>Holds at most a batch of body ({@code --batch-bytes}) and refuses bodies beyond {@code --max-request-bytes}.
 */
final class HttpInsertDecoder extends ChannelInboundHandlerAdapter {
    /** How much of a body is looked at to find an INSERT statement at its start. */
    static final int MAX_HEAD_BYTES = 64 << 10;
    /**
     * Chunks a body holds before they are copied into one buffer. Each chunk is a slice of a socket read buffer and
     * keeps all of it alive: a body trickled in tiny segments would otherwise pin a read buffer per segment, far
     * more than it carries. A held body is at most a batch, so the copy is cheap; big chunks rarely reach it.
     */
    static final int MAX_BODY_CHUNKS = 16;
    /** How much of a decoder's reason is quoted back to the sender. */
    private static final int MAX_REASON_CHARS = 120;
    /**
     * URL parameters that are not ClickHouse settings to forward with the insert: the aggregator's own, or about the
     * answer, which the aggregator writes itself (docs/CONFIGURATION.md has each parameter and why).
     */
    private static final Set<String> NOT_SETTINGS = Set.of("query", "user", "password", "database", "table",
            "rowbinary", "query_id", "quota_key", "compress", "wait_end_of_query", "send_progress_in_http_headers",
            "buffer_size", "stacktrace");
    /** A {@code query_id} that can be named in an answer's header. */
    private static final Pattern QUERY_ID = Pattern.compile("[\\x20-\\x7e]{1,256}");
    private static final Pattern SETTING = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern ENCODING = Pattern.compile("[A-Za-z0-9-]+");

    /**
     * PASS: a query, passed on; PEEK: looking for an INSERT at the start of the body; BODY: holding an insert's
     * body; STREAM: the insert was handed on, its body follows; DISCARD: refused, the rest is dropped.
     */
    private enum State { IDLE, PASS, PEEK, BODY, STREAM, DISCARD }

    private final Ingest ingest;
    private State state = State.IDLE;
    private HttpRequest request;
    private Map<String, List<String>> params;
    /** What the sender of the current request may do. */
    private AccessPolicy.Grant grant;
    private CompositeByteBuf body;
    private BatchKey key;
    /** How the current insert asked to be answered. */
    private ReplyForm form;
    /** Undoes the body's compression, or null for a plain body. */
    private BodyDecoder decoder;
    /** Body bytes of the current request so far. */
    private long bodyBytes;
    /** Body bytes before the INSERT head is looked for again. */
    private int nextPeekAt;

    HttpInsertDecoder(Ingest ingest) {
        this.ingest = ingest;
    }

    /** An empty request body; see {@link #MAX_BODY_CHUNKS}. */
    static CompositeByteBuf newBody(ByteBufAllocator alloc) {
        return alloc.compositeBuffer(MAX_BODY_CHUNKS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req) {
            onRequest(ctx, req);
        }
        if (msg instanceof HttpContent c) {
            onContent(ctx, c);
        } else if (!(msg instanceof HttpRequest)) {
            ctx.fireChannelRead(msg);
        }
    }

    private void onRequest(ChannelHandlerContext ctx, HttpRequest req) {
        if (state == State.DISCARD) {
            return; // the connection closes once the refusal is written
        }
        request = req;
        bodyBytes = 0;
        if (req.decoderResult().isFailure()) {
            refuse(ctx, "bad_http", 400, "Malformed HTTP request: " + req.decoderResult().cause().getMessage());
            return;
        }
        try {
            // as ClickHouse reads them: ';' is part of a value, not a separator
            params = QueryStringDecoder.builder().semicolonIsNormalChar(true).build(req.uri()).parameters();
        } catch (IllegalArgumentException e) {   // a broken %-escape
            refuse(ctx, "bad_uri", 400, "Cannot parse URI: " + e.getMessage());
            return;
        }
        if (AccessPolicy.isPing(req)) {
            AccessPolicy.stripForPing(req);
            pass(ctx, req);
            return;
        }
        AccessPolicy.Decision access = ingest.access().http(req.headers(), params, ctx.channel().remoteAddress());
        if (access instanceof Refusal r) {
            refuse(ctx, r);
            return;
        }
        grant = (AccessPolicy.Grant) access;
        String query = first("query");
        if (!HttpMethod.POST.equals(req.method())) {
            query(ctx, query);
            return;
        }
        String table = first("table");
        if (query != null) {
            InsertHead.Parse p = InsertHead.parse(query, true);
            switch (p.kind()) {
                case INSERT -> {
                    String rest = query.substring(p.head().dataOffset());
                    // ClickHouse reads the query parameter, a line feed, then the body as one text
                    begin(ctx, p.head().table(), p.head().format(), rest.isBlank() ? null
                            : Unpooled.copiedBuffer(rest + "\n", StandardCharsets.UTF_8), false);
                }
                case INVALID -> refuse(ctx, "bad_insert_head", 400, p.error());
                default -> query(ctx, query);
            }
        } else if (table != null) {
            TableSpec spec;
            try {
                spec = TableSpec.parse(table);
            } catch (ProtocolException e) {
                refuse(ctx, "bad_table", 400, e.getMessage());
                return;
            }
            begin(ctx, spec, "1".equals(first("rowbinary")) ? InsertFormat.ROW_BINARY : InsertFormat.VALUES, null,
                    false);
        } else if (req.headers().contains(HttpHeaderNames.CONTENT_ENCODING) || params.containsKey("decompress")) {
            pass(ctx, req);   // a compressed body is not looked into for a statement: ClickHouse reads it
        } else {
            state = State.PEEK;
            nextPeekAt = 0;
            body = newBody(ctx.alloc());
        }
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent c) {
        boolean last = c instanceof LastHttpContent;
        if (state == State.PASS) {
            if (last) {
                state = State.IDLE;
                ReadGateHandler.requestRead(ctx);
            }
            ctx.fireChannelRead(c);
            return;
        }
        if (state != State.PEEK && state != State.BODY && state != State.STREAM) {
            c.release();
            return;
        }
        if (c.decoderResult().isFailure()) {
            // a chunked body cut or garbled: what arrived is not the body the sender meant, insert none of it
            String why = String.valueOf(c.decoderResult().cause().getMessage());
            c.release();
            refuse(ctx, "bad_body_encoding", 400, "Malformed request body: "
                    + why.substring(0, Math.min(why.length(), MAX_REASON_CHARS)));
            return;
        }
        bodyBytes += c.content().readableBytes();
        if (bodyBytes > ingest.maxRequestBytes()) {
            c.release();
            refuse(ctx, "request_too_large", 413, tooLarge());
            return;
        }
        ByteBuf content;
        try {
            content = decoder == null ? c.content().retain() : decoder.decode(c.content().retain(), last);
        } catch (BodyDecoder.Failure e) {
            c.release();
            refuse(ctx, e.refusal());
            return;
        }
        c.release();
        if (last) {
            closeDecoder();
            ReadGateHandler.requestRead(ctx);
        }
        if (state == State.STREAM) {
            ctx.fireChannelRead(new InsertBody(content, last));
            if (last) {
                state = State.IDLE;
            }
            return;
        }
        if (content.isReadable()) {
            body.addComponent(true, content);
        } else {
            content.release();
        }
        if (state == State.PEEK) {
            peek(ctx, last);
        } else {
            handOn(ctx, last);
        }
    }

    /**
     * Looks for an INSERT at the start of the body so far; again only once the body doubled, so that a head
     * trickled in small chunks is parsed in linear time.
     */
    private void peek(ChannelHandlerContext ctx, boolean last) {
        if (!last && body.readableBytes() < nextPeekAt && body.readableBytes() <= MAX_HEAD_BYTES) {
            return;
        }
        nextPeekAt = 2 * body.readableBytes();
        int n = Math.min(body.readableBytes(), MAX_HEAD_BYTES);
        String text = body.toString(body.readerIndex(), n, StandardCharsets.UTF_8);
        InsertHead.Parse p = InsertHead.parse(text, last && n == body.readableBytes());
        switch (p.kind()) {
            case INCOMPLETE -> {
                if (body.readableBytes() > MAX_HEAD_BYTES) {
                    refuse(ctx, "bad_insert_head", 400, "Cannot parse INSERT statement: no VALUES or FORMAT within "
                            + MAX_HEAD_BYTES + " bytes");
                } else if (last) {
                    refuse(ctx, "bad_insert_head", 400, "Cannot parse INSERT statement: unexpected end");
                }
            }
            case INVALID -> refuse(ctx, "bad_insert_head", 400, p.error());
            case NOT_INSERT -> {
                Refusal refused = ingest.access().query(grant, request, params, text);
                if (refused != null) {
                    refuse(ctx, refused);
                    return;
                }
                ByteBuf held = body;
                body = null;
                state = last ? State.IDLE : State.PASS;
                ctx.fireChannelRead(request);
                ctx.fireChannelRead(last ? new DefaultLastHttpContent(held) : new DefaultHttpContent(held));
            }
            case INSERT -> {
                body.skipBytes(text.substring(0, p.head().dataOffset()).getBytes(StandardCharsets.UTF_8).length);
                begin(ctx, p.head().table(), p.head().format(), null, last);
            }
        }
    }

    /**
     * Starts an INSERT: makes its batch key, then holds its body, or hands it on at once when it will be streamed.
     *
     * @param prefix rows from the query parameter, before the body's (owned), or null
     * @param last   the body held so far is the whole body
     */
    private void begin(ChannelHandlerContext ctx, TableSpec spec, InsertFormat format, ByteBuf prefix,
                       boolean last) {
        Refusal refusal = makeKey(spec, format);
        if (refusal != null) {
            if (prefix != null) {
                prefix.release();
            }
            refuse(ctx, refusal);
            return;
        }
        decoder = BodyDecoder.of(key, ingest.maxRequestBytes(), ctx.alloc());
        if (decoder != null) {
            key = key.decoded();
        }
        state = State.BODY;
        if (body == null) {
            body = newBody(ctx.alloc());
        }
        if (prefix != null) {
            body.addComponent(true, prefix);
        }
        handOn(ctx, last);
    }

    /**
     * Makes the batch key of an INSERT from the request's grant (credentials, tables), table, settings and
     * encoding, and the form of its answer; or refuses.
     */
    private Refusal makeKey(TableSpec spec, InsertFormat format) {
        String queryId = first("query_id");
        if (queryId != null && !QUERY_ID.matcher(queryId).matches()) {
            return new Refusal("bad_query_id", 400, "invalid query_id: not printable ASCII of 1 to 256 characters",
                    true);
        }
        form = new ReplyForm("1".equals(first("compress")) || "true".equals(first("compress")), queryId);
        // kittenhouse's form carries its own parameters (persistent, debug ...), never ClickHouse settings
        boolean kittenhouseForm = first("query") == null && first("table") != null;
        // in a session an unqualified name may be a temporary table, which belongs to no database: ClickHouse
        // resolves it, given the database as a parameter
        boolean session = !kittenhouseForm && first("session_id") != null;
        String db = AccessPolicy.database(request.headers(), params);
        TableSpec named = spec;   // as the sender named it
        if (spec.database() == null && db != null) {
            try {
                spec = new TableSpec(db, spec.table(), spec.columns(), null);
            } catch (IllegalArgumentException e) {
                return new Refusal("bad_table", 400, e.getMessage(), true);
            }
        }
        Refusal refusal = grant.refuseTable(spec, true);
        if (refusal != null) {
            return refusal;
        }
        Map<String, List<String>> sent = kittenhouseForm ? Map.of() : params;
        refusal = grant.refuseInsertParameters(sent);
        if (refusal != null) {
            return refusal;
        }
        TreeMap<String, String> settings = new TreeMap<>();
        for (Map.Entry<String, List<String>> e : sent.entrySet()) {
            if (!NOT_SETTINGS.contains(e.getKey()) && !e.getValue().isEmpty()) {
                if (!SETTING.matcher(e.getKey()).matches()) {
                    return new Refusal("bad_setting", 400, "invalid setting name: " + e.getKey(), true);
                }
                settings.put(e.getKey(), e.getValue().get(0));
            }
        }
        if (session && db != null) {
            settings.put("database", db);
        }
        String quotaKey = first("quota_key");
        if (grant.own() && quotaKey != null) {
            settings.put("quota_key", quotaKey);   // meaningless under the aggregator's credentials: dropped there
        }
        String encoding = request.headers().get(HttpHeaderNames.CONTENT_ENCODING);
        if (encoding != null && !ENCODING.matcher(encoding).matches()) {
            return new Refusal("bad_encoding", 400, "invalid Content-Encoding: " + encoding, true);
        }
        if (HttpUtil.getContentLength(request, -1L) > ingest.maxRequestBytes()) {
            return new Refusal("request_too_large", 413, tooLarge(), true);
        }
        Credentials own = grant.credentials();
        key = new BatchKey(own == null ? null : own.user(), own == null ? null : own.password(),
                session ? named : spec, format, settings, encoding);
        return null;
    }

    /**
     * Hands the insert on once its body is whole, or as soon as it is known to be streamed: too large to hold, or
     * not mergeable.
     */
    private void handOn(ChannelHandlerContext ctx, boolean last) {
        if (!last && key.mergeable() && HttpUtil.getContentLength(request, -1L) <= ingest.batchBytes()
                && body.readableBytes() <= ingest.batchBytes()) {
            return;
        }
        CompositeByteBuf held = body;
        body = null;
        state = last ? State.IDLE : State.STREAM;
        ctx.fireChannelRead(new Insert(key, held, last, !HttpUtil.isKeepAlive(request), null, form));
    }

    /** A request that is not a batchable insert: passed on as the grant allows, or refused. */
    private void query(ChannelHandlerContext ctx, String statement) {
        Refusal refused = ingest.access().query(grant, request, params, statement);
        if (refused != null) {
            refuse(ctx, refused);
        } else {
            pass(ctx, request);
        }
    }

    private void pass(ChannelHandlerContext ctx, HttpRequest req) {
        state = State.PASS;
        ctx.fireChannelRead(req);
    }

    private void refuse(ChannelHandlerContext ctx, String reason, int status, String message) {
        refuse(ctx, new Refusal(reason, status, message, true));
    }

    /** Refuses the request being read; the rest of it is dropped and the connection closed after the answer. */
    private void refuse(ChannelHandlerContext ctx, Refusal refusal) {
        releaseBody();
        state = State.DISCARD;
        ReadGateHandler.requestRead(ctx);
        ctx.fireChannelRead(refusal);
    }

    private String tooLarge() {
        return "Request body is larger than the limit of " + ingest.maxRequestBytes() + " bytes";
    }

    private String first(String name) {
        List<String> v = params.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private void releaseBody() {
        if (body != null) {
            body.release();
            body = null;
        }
        closeDecoder();
    }

    private void closeDecoder() {
        if (decoder != null) {
            decoder.close();
            decoder = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseBody();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseBody();
    }
}
