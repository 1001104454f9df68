package io.catflap.client.api;

import io.catflap.client.kitten.ClickHouseHttp;
import io.catflap.client.kitten.KittenDestination;
import io.catflap.client.route.Router;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;

/**
 * Forwards {@code GET /?query=...} to a server of the default route over HTTP and streams the answer back chunk by
 * chunk: a chunk is read from upstream only after the previous one was written to the app's socket, so a large result
 * is never held whole (kittenhouse buffered it). {@code timeout} (seconds, default 30) bounds the wait for the answer.
 */
public final class QueryForwarder {
    private static final int CHUNK_BYTES = 64 << 10;
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private final Router router;
    private final Executor blocking;

    public QueryForwarder(Router router, Executor blocking) {
        this.router = router;
        this.blocking = blocking;
    }

    void forward(ChannelHandlerContext ctx, Map<String, List<String>> params, boolean keepAlive) {
        Router.Target target = router.chooseForQuery();
        if (target == null) {
            LocalApiHandler.respond(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "no available server", keepAlive);
            return;
        }
        ctx.channel().config().setAutoRead(false);   // one query at a time per connection
        target.destination().http().get(upstreamQuery(params), timeout(params)).whenCompleteAsync((response, err) -> {
            if (err != null) {
                Throwable cause = KittenDestination.unwrap(err);
                LocalApiHandler.respond(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, cause.toString(), keepAlive);
            } else {
                stream(ctx, response.statusCode(), response.headers().firstValue("content-type").orElse("text/plain"),
                        response.body(), keepAlive);
            }
            ctx.channel().config().setAutoRead(true);
        }, blocking);
    }

    /** Runs on a blocking thread: each write is awaited before the next read from upstream (backpressure). */
    private static void stream(ChannelHandlerContext ctx, int status, String contentType, InputStream body, boolean keepAlive) {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        HttpUtil.setTransferEncodingChunked(head, true);
        HttpUtil.setKeepAlive(head, keepAlive);
        ctx.writeAndFlush(head);
        try (body) {
            byte[] buf = new byte[CHUNK_BYTES];
            int n;
            while ((n = body.readNBytes(buf, 0, buf.length)) > 0) {
                if (!ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(buf, 0, n))).awaitUninterruptibly().isSuccess()) {
                    return;   // the app went away
                }
            }
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
                    .addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
        } catch (IOException e) {
            ctx.close();   // the status line is out: closing mid-body is the only way to tell the app
        }
    }

    /** The app's parameters minus {@code timeout}, which ClickHouse would reject as an unknown setting. */
    private static String upstreamQuery(Map<String, List<String>> params) {
        return params.entrySet().stream().filter(e -> !e.getKey().equals("timeout"))
                .flatMap(e -> e.getValue().stream().map(v -> ClickHouseHttp.encode(e.getKey()) + "=" + ClickHouseHttp.encode(v)))
                .collect(Collectors.joining("&"));
    }

    private static Duration timeout(Map<String, List<String>> params) {
        List<String> t = params.get("timeout");
        if (t == null || t.isEmpty()) {
            return DEFAULT_TIMEOUT;
        }
        try {
            return Duration.ofMillis((long) (Double.parseDouble(t.get(0)) * 1000));
        } catch (NumberFormatException e) {
            return DEFAULT_TIMEOUT;
        }
    }
}
