package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.Ack;
import io.catflap.aggregator.batch.BatchKey;
import io.catflap.aggregator.batch.InsertFormat;
import io.catflap.aggregator.batch.InsertResult;
import io.catflap.aggregator.upstream.UpstreamExchange;
import io.catflap.aggregator.upstream.UpstreamReply;
import io.catflap.protocol.ProtocolException;
import io.catflap.protocol.TableSpec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Sorts HTTP requests: INSERTs — {@code POST /?query=INSERT INTO ... VALUES|FORMAT X} with rows in the body, the
 * whole statement in the body, or kittenhouse's {@code POST /?table=db.t(a,b)[&rowbinary=1]} — are read here and
 * handed to batching (or, when larger than a batch or not mergeable, streamed upstream as their own insert while
 * they arrive); everything else (SELECT, /ping, GET, INSERT ... SELECT) goes on unchanged to the next
 * handler. Insert answers are written in request order, as ClickHouse would: 200 with an empty body, or the
 * status and error text.
 */
public final class HttpRequestRouter extends ChannelInboundHandlerAdapter {
    /** How much of a body is looked at to find an INSERT statement at its start. */
    static final int MAX_HEAD_BYTES = 64 << 10;
    /**
     * Chunks a body holds before they are copied into one buffer. Each chunk is a slice of a socket read buffer and
     * keeps all of it alive: a body trickled in tiny segments would otherwise pin a read buffer per segment, far
     * more than it carries. A merged body is at most a batch, so the copy is cheap; big chunks rarely reach it.
     */
    static final int MAX_BODY_CHUNKS = 16;
    /** How much of a decoder's reason is quoted back to the sender. */
    private static final int MAX_REASON_CHARS = 120;
    /** URL parameters that are not ClickHouse settings to forward with the insert. */
    private static final Set<String> NOT_SETTINGS = Set.of("query", "user", "password", "database", "table",
            "rowbinary", "query_id", "session_id", "session_timeout", "session_check", "quota_key");
    private static final Pattern SETTING = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern ENCODING = Pattern.compile("[A-Za-z0-9-]+");
    private static final Pattern BEARER = Pattern.compile("(?i)Bearer\\s+(\\S+)");

    private enum State { IDLE, PASS, PEEK, INSERT, STREAM, DISCARD }

    private final Ingest ingest;
    private State state = State.IDLE;
    private InOrderResponder responder;
    private HttpRequest request;
    private Map<String, List<String>> params;
    private CompositeByteBuf body;
    private BatchKey key;
    /** The streamed insert of the current request, once its upstream connection is there. */
    private UpstreamExchange.Stream stream;
    private Ack streamAck;
    private boolean lastSeen;
    private long streamedBytes;
    private long streamedRows;
    /** Body bytes before the INSERT head is looked for again. */
    private int nextPeekAt;

    public HttpRequestRouter(Ingest ingest) {
        this.ingest = ingest;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        responder = new InOrderResponder(ctx, HttpRequestRouter::toHttp);
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
        if (req.decoderResult().isFailure()) {
            fail(ctx, "bad_http", 400, "Malformed HTTP request: " + req.decoderResult().cause().getMessage());
            return;
        }
        if (!HttpMethod.POST.equals(req.method())) {
            pass(ctx, req);
            return;
        }
        params = new QueryStringDecoder(req.uri()).parameters();
        String query = first("query");
        String table = first("table");
        if (query != null) {
            InsertHead.Parse p = InsertHead.parse(query, true);
            switch (p.kind()) {
                case INSERT -> {
                    if (begin(ctx, p.head().table(), p.head().format())) {
                        String rest = query.substring(p.head().dataOffset());
                        if (!rest.isBlank()) {
                            // ClickHouse reads the query parameter, a line feed, then the body as one text
                            body.addComponent(true, Unpooled.copiedBuffer(rest + "\n", StandardCharsets.UTF_8));
                        }
                    }
                }
                case INVALID -> fail(ctx, "bad_insert_head", 400, p.error());
                default -> pass(ctx, req);
            }
        } else if (table != null) {
            TableSpec spec;
            try {
                spec = TableSpec.parse(table);
            } catch (ProtocolException e) {
                fail(ctx, "bad_table", 400, e.getMessage());
                return;
            }
            begin(ctx, spec, "1".equals(first("rowbinary")) ? InsertFormat.ROW_BINARY : InsertFormat.VALUES);
        } else {
            state = State.PEEK;
            nextPeekAt = 0;
            body = newBody(ctx.alloc());
        }
    }

    /** An empty request body; see {@link #MAX_BODY_CHUNKS}. */
    static CompositeByteBuf newBody(ByteBufAllocator alloc) {
        return alloc.compositeBuffer(MAX_BODY_CHUNKS);
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent c) {
        boolean last = c instanceof LastHttpContent;
        if (c.decoderResult().isFailure() && (state == State.PEEK || state == State.INSERT || state == State.STREAM)) {
            // a chunked body cut or garbled: what arrived is not the body the sender meant, insert none of it
            String why = String.valueOf(c.decoderResult().cause().getMessage());
            c.release();
            if (stream != null) {
                stream.abort("malformed request body");
            }
            fail(ctx, "bad_body_encoding", 400, "Malformed request body: "
                    + why.substring(0, Math.min(why.length(), MAX_REASON_CHARS)));
            return;
        }
        switch (state) {
            case PASS -> {
                if (last) {
                    state = State.IDLE;
                    ReadGateHandler.requestRead(ctx);
                }
                ctx.fireChannelRead(c);
            }
            case PEEK -> {
                if (append(ctx, c)) {
                    peek(ctx, last);
                }
            }
            case INSERT -> {
                if (append(ctx, c)) {
                    if (body.readableBytes() > ingest.batchBytes()) {
                        startStream(ctx);
                        if (last) {
                            endStream(ctx);
                        }
                    } else if (last) {
                        finish(ctx);
                    }
                }
            }
            case STREAM -> streamContent(ctx, c, last);
            default -> c.release();
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
                    fail(ctx, "bad_insert_head", 400, "Cannot parse INSERT statement: no VALUES or FORMAT within "
                            + MAX_HEAD_BYTES + " bytes");
                } else if (last) {
                    fail(ctx, "bad_insert_head", 400, "Cannot parse INSERT statement: unexpected end");
                }
            }
            case INVALID -> fail(ctx, "bad_insert_head", 400, p.error());
            case NOT_INSERT -> {
                ByteBuf buffered = body;
                body = null;
                state = State.PASS;
                ctx.fireChannelRead(request);
                if (last) {
                    state = State.IDLE;
                    ReadGateHandler.requestRead(ctx);
                }
                ctx.fireChannelRead(last ? new DefaultLastHttpContent(buffered) : new DefaultHttpContent(buffered));
            }
            case INSERT -> {
                body.skipBytes(text.substring(0, p.head().dataOffset()).getBytes(StandardCharsets.UTF_8).length);
                if (begin(ctx, p.head().table(), p.head().format()) && last) {
                    if (state == State.STREAM) {
                        endStream(ctx);
                    } else {
                        finish(ctx);
                    }
                }
            }
        }
    }

    /** Prepares the batch key of an INSERT; false if the request was refused. */
    private boolean begin(ChannelHandlerContext ctx, TableSpec spec, InsertFormat format) {
        Credentials creds;
        try {
            creds = Credentials.of(request.headers(), params);
        } catch (IllegalArgumentException e) {
            fail(ctx, "bad_auth", 400, e.getMessage());
            return false;
        }
        String db = first("database");
        if (spec.database() == null && db != null && !db.isEmpty()) {
            spec = new TableSpec(db, spec.table(), spec.columns(), null);
        }
        if (creds == null) {
            String auth = request.headers().get(HttpHeaderNames.AUTHORIZATION);
            var m = auth == null ? null : BEARER.matcher(auth);
            String token = m != null && m.matches() ? m.group(1) : null;
            Optional<Predicate<TableSpec>> access = ingest.tokens().access(token);
            if (access.isEmpty()) {
                fail(ctx, "bad_token", 401, "Authentication required: ClickHouse credentials or a bearer token");
                return false;
            }
            if (!access.get().test(spec)) {
                fail(ctx, "forbidden_table", 403, "this token may not insert into " + spec.withoutShard());
                return false;
            }
        }
        TreeMap<String, String> settings = new TreeMap<>();
        // kittenhouse's form carries its own parameters (persistent, debug ...), never ClickHouse settings
        boolean kittenhouseForm = first("query") == null && first("table") != null;
        for (Map.Entry<String, List<String>> e : kittenhouseForm ? Map.<String, List<String>>of().entrySet()
                : params.entrySet()) {
            if (!NOT_SETTINGS.contains(e.getKey()) && !e.getValue().isEmpty()) {
                if (!SETTING.matcher(e.getKey()).matches()) {
                    fail(ctx, "bad_setting", 400, "invalid setting name: " + e.getKey());
                    return false;
                }
                settings.put(e.getKey(), e.getValue().get(0));
            }
        }
        String encoding = request.headers().get(HttpHeaderNames.CONTENT_ENCODING);
        if (encoding != null && !ENCODING.matcher(encoding).matches()) {
            fail(ctx, "bad_encoding", 400, "invalid Content-Encoding: " + encoding);
            return false;
        }
        long declared = HttpUtil.getContentLength(request, -1L);
        if (declared > ingest.maxRequestBytes()) {
            fail(ctx, "request_too_large", 413, tooLarge());
            return false;
        }
        key = new BatchKey(creds == null ? null : creds.user(), creds == null ? null : creds.password(), spec,
                format, settings, encoding);
        state = State.INSERT;
        if (body == null) {
            body = newBody(ctx.alloc());
        }
        if (!key.mergeable() || declared > ingest.batchBytes() || body.readableBytes() > ingest.batchBytes()) {
            startStream(ctx);
        }
        return true;
    }

    /** Adds a body chunk; false (and the request refused) when the body grows past the limit. */
    private boolean append(ChannelHandlerContext ctx, HttpContent c) {
        ByteBuf chunk = c.content();
        if (body.readableBytes() + (long) chunk.readableBytes() > ingest.maxRequestBytes()) {
            c.release();
            fail(ctx, "request_too_large", 413, tooLarge());
            return false;
        }
        if (chunk.isReadable()) {
            body.addComponent(true, chunk.retain());
        }
        c.release();
        return true;
    }

    private String tooLarge() {
        return "Request body is larger than the limit of " + ingest.maxRequestBytes() + " bytes";
    }

    private void finish(ChannelHandlerContext ctx) {
        ReadGateHandler.requestRead(ctx);
        state = State.IDLE;
        CompositeByteBuf rows = body;
        body = null;
        Ack ack = responder.next();
        if (!HttpUtil.isKeepAlive(request)) {
            responder.closeWhenDrained();
        }
        try {
            ingest.submit(ctx, key, rows, ack);
        } finally {
            rows.release();
        }
    }

    /**
     * Sends this request's body upstream as its own insert while it arrives, instead of holding it: the body is
     * larger than a batch or cannot be merged. Reading pauses until the upstream connection is there and whenever
     * it cannot take more.
     */
    private void startStream(ChannelHandlerContext ctx) {
        state = State.STREAM;
        lastSeen = false;
        streamedBytes = body.readableBytes();
        streamedRows = key.format().rowsUpperBound(body);
        Ack ack = responder.next();
        if (!HttpUtil.isKeepAlive(request)) {
            responder.closeWhenDrained();
        }
        streamAck = ingest.track(ack);
        BatchKey k = key;
        ctx.channel().config().setAutoRead(false);
        ingest.inserts().stream(k).addListener(f -> ctx.executor().execute(() ->
                opened(ctx, (UpstreamExchange.Stream) f.getNow())));
    }

    private void opened(ChannelHandlerContext ctx, UpstreamExchange.Stream s) {
        if (state != State.STREAM) {   // refused or the client went away meanwhile
            s.abort("the request ended before its upstream connection was there");
            Ack ack = streamAck;
            streamAck = null;
            if (ack != null) {
                ack.complete(new InsertResult(400, "the request ended before it was complete"));
            }
            return;
        }
        stream = s;
        s.reply().addListener(f -> ctx.executor().execute(() -> replied(ctx, (UpstreamReply) f.getNow())));
        s.onWritable(() -> ctx.executor().execute(() -> ctx.channel().config().setAutoRead(true)));
        if (body.isReadable()) {
            s.write(body);
        } else {
            body.release();
        }
        body = null;
        if (lastSeen) {
            s.end();
        }
        ctx.channel().config().setAutoRead(true);
    }

    private void streamContent(ChannelHandlerContext ctx, HttpContent c, boolean last) {
        ByteBuf chunk = c.content();
        streamedBytes += chunk.readableBytes();
        streamedRows += key.format().rowsUpperBound(chunk);
        if (streamedBytes > ingest.maxRequestBytes()) {
            c.release();
            if (stream != null) {
                stream.abort("request body over the limit");
            }
            fail(ctx, "request_too_large", 413, tooLarge());
            return;
        }
        if (stream == null) {
            body.addComponent(true, chunk.retain());
        } else if (chunk.isReadable()) {
            stream.write(chunk.retain());
            if (!stream.writable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }
        c.release();
        if (last) {
            endStream(ctx);
        }
    }

    private void endStream(ChannelHandlerContext ctx) {
        lastSeen = true;
        ReadGateHandler.requestRead(ctx);
        ingest.batcher().streamed(key, (int) Math.min(Integer.MAX_VALUE, streamedBytes), streamedRows);
        if (stream != null) {
            stream.end();
        }
        ctx.channel().config().setAutoRead(true);
    }

    /** ClickHouse answered the streamed insert — possibly early, with an error, while the body still arrives. */
    private void replied(ChannelHandlerContext ctx, UpstreamReply r) {
        Ack ack = streamAck;
        streamAck = null;
        stream = null;
        if (ack == null) {
            return;
        }
        ack.complete(r.toResult());
        if (state == State.STREAM && !lastSeen) {
            state = State.DISCARD;
            ReadGateHandler.requestRead(ctx);
            responder.closeWhenDrained();
            ctx.channel().config().setAutoRead(true);
        } else if (state == State.STREAM) {
            state = State.IDLE;
        }
    }

    private void pass(ChannelHandlerContext ctx, HttpRequest req) {
        state = State.PASS;
        ctx.fireChannelRead(req);
    }

    /** Refuses the request being read; the rest of it is discarded and the connection closed after the answer. */
    private void fail(ChannelHandlerContext ctx, String reason, int status, String message) {
        ingest.bad().count(reason);
        releaseBody();
        state = State.DISCARD;
        ReadGateHandler.requestRead(ctx);
        Ack pending = streamAck;
        streamAck = null;
        if (pending != null) {
            pending.complete(new InsertResult(status, message));
        } else {
            responder.answer(new InsertResult(status, message));
        }
        responder.closeWhenDrained();
        ctx.channel().config().setAutoRead(true);
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
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseBody();
        if (state == State.STREAM && !lastSeen) {
            state = State.DISCARD;
            if (stream != null) {
                stream.abort("the client closed the connection mid-body");
            }
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseBody();
    }

    static FullHttpResponse toHttp(InsertResult r, boolean close) {
        ByteBuf content = r.ok() ? Unpooled.EMPTY_BUFFER : Unpooled.copiedBuffer(r.message() + "\n",
                StandardCharsets.UTF_8);
        FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(r.status()), content);
        resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=UTF-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        if (close) {
            resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return resp;
    }
}
