package io.catflap.aggregator.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
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
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes the admin port's few GET endpoints. With a token, {@code /metrics} and {@code /status} answer only requests
 * that present it as {@code Authorization: Bearer}; {@code /health} and the status page itself (which carries no
 * data) stay open. Stateless apart from the shared rates; one instance serves all.
 */
@Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
    /** Prometheus text exposition format 0.0.4, what {@link PrometheusMeterRegistry#scrape()} writes. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String TEXT = "text/plain; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final StatusSource status;
    private final IngestRates rates;
    /** The expected Authorization header's bytes, or null when none is needed. */
    private final byte[] authorization;

    /** @param token the bearer token {@code /metrics} and {@code /status} require, or null */
    AdminHandler(PrometheusMeterRegistry registry, StatusSource status, IngestRates rates, String token) {
        this.registry = registry;
        this.status = status;
        this.rates = rates;
        this.authorization = token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    }

    /** Whether {@code req} may read data; compared in time independent of where a wrong token differs. */
    private boolean authorized(FullHttpRequest req) {
        String presented = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        return authorization == null || presented != null
                && MessageDigest.isEqual(authorization, presented.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (!req.decoderResult().isSuccess()) {
            respond(ctx, req, HttpResponseStatus.BAD_REQUEST, TEXT, "bad request\n");
            return;
        }
        if (!HttpMethod.GET.equals(req.method()) && !HttpMethod.HEAD.equals(req.method())) {
            respond(ctx, req, HttpResponseStatus.METHOD_NOT_ALLOWED, TEXT, "only GET is served here\n");
            return;
        }
        String path = new QueryStringDecoder(req.uri()).path();
        if ((path.equals("/metrics") || path.equals("/status")) && !authorized(req)) {
            FullHttpResponse denied = response(ctx, req, HttpResponseStatus.UNAUTHORIZED, TEXT,
                    "a bearer token is required (--admin-token-file)\n");
            denied.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"catflap\"");
            ctx.writeAndFlush(denied).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            return;
        }
        try {
            switch (path) {
                case "/metrics" -> respond(ctx, req, HttpResponseStatus.OK, PROMETHEUS_TEXT, registry.scrape());
                case "/health" -> {
                    boolean healthy = status.healthy();
                    respond(ctx, req, healthy ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                            TEXT, healthy ? "ok\n" : "unhealthy\n");
                }
                case "/status" -> respond(ctx, req, HttpResponseStatus.OK, "application/json; charset=utf-8",
                        Json.write(rates.decorate(status.snapshot(), System.nanoTime())));
                case "/", "/status.html" ->
                        respond(ctx, req, HttpResponseStatus.OK, "text/html; charset=utf-8", StatusPage.HTML);
                default -> respond(ctx, req, HttpResponseStatus.NOT_FOUND, TEXT,
                        "not found; try /status.html, /status, /metrics or /health\n");
            }
        } catch (RuntimeException e) {
            log.warn("admin request {} failed", path, e);
            respond(ctx, req, HttpResponseStatus.INTERNAL_SERVER_ERROR, TEXT, "internal error: " + e + "\n");
        }
    }

    private static void respond(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status,
                                String contentType, String body) {
        // HttpServerCodec drops the body of a HEAD response; HttpServerKeepAliveHandler adds the Connection header
        // and closes when the client asked for it.
        ctx.writeAndFlush(response(ctx, req, status, contentType, body))
                .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    private static FullHttpResponse response(ChannelHandlerContext ctx, FullHttpRequest req,
                                             HttpResponseStatus status, String contentType, String body) {
        ByteBuf content = ByteBufUtil.writeUtf8(ctx.alloc(), body);
        FullHttpResponse resp = new DefaultFullHttpResponse(req.protocolVersion(), status, content);
        resp.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        HttpUtil.setContentLength(resp, content.readableBytes());
        return resp;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("admin connection {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
