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
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * kittenhouse's local HTTP API: {@code POST /?table=db.t(a,b,c)[&rowbinary=1][&persistent=1][&debug=1]} with rows in
 * the body answers 200 with an empty body once the rows are accepted; {@code GET /?query=...} is forwarded. Errors
 * answer with kittenhouse's status codes and texts: 400 for a missing parameter, 500 with the reason for a refused
 * write (buffer overflow, failed synchronous insert, disk error), 405 for other methods.
 */
@ChannelHandler.Sharable
public final class LocalApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final Ingest ingest;
    private final QueryForwarder queries;

    public LocalApiHandler(Ingest ingest, QueryForwarder queries) {
        this.ingest = ingest;
        this.queries = queries;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        Map<String, List<String>> params = uri.parameters();
        if (request.method().equals(HttpMethod.POST)) {
            post(ctx, params, ByteBufUtil.getBytes(request.content()), keepAlive);
        } else if (request.method().equals(HttpMethod.GET)) {
            if (!params.containsKey("query")) {
                respond(ctx, HttpResponseStatus.BAD_REQUEST, "GET-parameter `query` is missing", keepAlive);
            } else {
                queries.forward(ctx, params, keepAlive);
            }
        } else {
            respond(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "", keepAlive);
        }
    }

    private void post(ChannelHandlerContext ctx, Map<String, List<String>> params, byte[] rows, boolean keepAlive) {
        String table = param(params, "table");
        if (table == null) {
            respond(ctx, HttpResponseStatus.BAD_REQUEST, "GET-parameter `table` is missing", keepAlive);
            return;
        }
        try {
            ingest.write(table, flag(params, "rowbinary"), flag(params, "persistent"), flag(params, "debug"), rows, "memory")
                    .whenComplete((v, err) -> {
                        if (err == null) {
                            respond(ctx, HttpResponseStatus.OK, "", keepAlive);
                        } else {
                            respond(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, errorText(err), keepAlive);
                        }
                    });
        } catch (ProtocolException e) {
            respond(ctx, HttpResponseStatus.BAD_REQUEST, e.getMessage(), keepAlive);
        }
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

    static void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String text, boolean keepAlive) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        HttpUtil.setContentLength(response, response.content().readableBytes());
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response);
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
