package io.catflap.client.api;

import io.catflap.client.Ingest;
import io.catflap.client.kitten.InsertException;
import io.catflap.client.kitten.KittenDestination;
import io.catflap.protocol.ProtocolException;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.ReadOnlyHttpHeaders;
import io.netty.util.AsciiString;
import io.netty.util.Attribute;
import io.netty.util.AttributeKey;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * kittenhouse's local HTTP API: {@code POST /?table=db.t(a,b,c)[&rowbinary=1][&persistent=1][&debug=1]} with rows in
 * the body answers 200 with an empty body once the rows are accepted; {@code GET /?query=...} is forwarded. Errors
 * answer with kittenhouse's status codes and texts: 400 for a missing parameter, 500 with the reason for a refused
 * write (buffer overflow, failed synchronous insert, disk error), 405 for other methods.
 */
@ChannelHandler.Sharable
public final class LocalApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    /** The last POST URI of a connection, resolved: apps post to the same table over and over. */
    private static final AttributeKey<Post> LAST_POST = AttributeKey.valueOf(LocalApiHandler.class, "lastPost");
    private static final CharSequence TEXT_PLAIN = AsciiString.cached("text/plain; charset=utf-8");
    /**
     * The headers of the answer to almost every request (200, empty body), built once and shared: building and
     * validating them took a good part of a request's CPU. Read-only, so no handler can change them for all.
     */
    private static final HttpHeaders OK_KEEP_ALIVE = okHeaders(true);
    private static final HttpHeaders OK_CLOSE = okHeaders(false);

    private final Ingest ingest;
    private final QueryForwarder queries;

    private record Post(String uri, Ingest.Table table) {
    }

    public LocalApiHandler(Ingest ingest, QueryForwarder queries) {
        this.ingest = ingest;
        this.queries = queries;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (request.method().equals(HttpMethod.POST)) {
            post(ctx, request, keepAlive);
            return;
        }
        Map<String, List<String>> params = new QueryStringDecoder(request.uri()).parameters();
        if (!request.method().equals(HttpMethod.GET)) {
            respond(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "", keepAlive);
        } else if (!params.containsKey("query")) {
            respond(ctx, HttpResponseStatus.BAD_REQUEST, "GET-parameter `query` is missing", keepAlive);
        } else {
            queries.forward(ctx, params, keepAlive);
        }
    }

    private void post(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive) {
        Attribute<Post> last = ctx.channel().attr(LAST_POST);
        Post post = last.get();
        if (post == null || !post.uri.equals(request.uri())) {
            Map<String, List<String>> params = new QueryStringDecoder(request.uri()).parameters();
            String table = param(params, "table");
            if (table == null) {
                respond(ctx, HttpResponseStatus.BAD_REQUEST, "GET-parameter `table` is missing", keepAlive);
                return;
            }
            try {
                post = new Post(request.uri(), ingest.resolve(table, flag(params, "rowbinary"),
                        flag(params, "persistent"), flag(params, "debug"), "memory"));
            } catch (ProtocolException e) {
                respond(ctx, HttpResponseStatus.BAD_REQUEST, e.getMessage(), keepAlive);
                return;
            }
            last.set(post);
        }
        CompletableFuture<Void> written = ingest.write(post.table, ByteBufUtil.getBytes(request.content()));
        if (written.isDone() && !written.isCompletedExceptionally()) {   // memory mode: buffered already
            ok(ctx, keepAlive);
            return;
        }
        written.whenComplete((v, err) -> {
            if (err == null) {
                ok(ctx, keepAlive);
            } else {
                respond(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, errorText(err), keepAlive);
            }
        });
    }

    private static String errorText(Throwable err) {
        Throwable cause = KittenDestination.unwrap(err);
        if (cause instanceof InsertException e) {
            return "ClickHouse server returned HTTP code " + e.status() + ": " + e.serverMessage();
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }

    /** kittenhouse reads these flags as unsigned integers equal to 1. */
    private static boolean flag(Map<String, List<String>> params, String name) {
        return "1".equals(param(params, name));
    }

    private static String param(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /**
     * The codec of a local API channel. Request headers are not validated, which cost about as much CPU per request as
     * the rest of a memory write: the API reads only the request line and the framing headers, which the decoder
     * checks anyway, and forwards no header anywhere.
     */
    public static HttpServerCodec newCodec() {
        return new HttpServerCodec(new HttpDecoderConfig()
                .setHeadersFactory(DefaultHttpHeadersFactory.headersFactory().withValidation(false))
                .setTrailersFactory(DefaultHttpHeadersFactory.trailersFactory().withValidation(false)));
    }

    private static HttpHeaders okHeaders(boolean keepAlive) {
        return keepAlive
                ? new ReadOnlyHttpHeaders(false, HttpHeaderNames.CONTENT_TYPE, TEXT_PLAIN,
                        HttpHeaderNames.CONTENT_LENGTH, HttpHeaderValues.ZERO,
                        HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE)
                : new ReadOnlyHttpHeaders(false, HttpHeaderNames.CONTENT_TYPE, TEXT_PLAIN,
                        HttpHeaderNames.CONTENT_LENGTH, HttpHeaderValues.ZERO);
    }

    /** 200 with an empty body, as {@link #respond} would answer it. */
    private static void ok(ChannelHandlerContext ctx, boolean keepAlive) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.EMPTY_BUFFER, keepAlive ? OK_KEEP_ALIVE : OK_CLOSE, EmptyHttpHeaders.INSTANCE);
        send(ctx, response, keepAlive);
    }

    static void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String text, boolean keepAlive) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                text.isEmpty() ? Unpooled.EMPTY_BUFFER : Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, TEXT_PLAIN);
        HttpUtil.setContentLength(response, response.content().readableBytes());
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        send(ctx, response, keepAlive);
    }

    private static void send(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        if (keepAlive) {
            ctx.writeAndFlush(response);
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
