package io.catflap.aggregator.select;

import io.catflap.aggregator.select.SelectUpstream.Failure;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proxies every HTTP request that is not an INSERT — {@code SELECT} by {@code GET ?query=} or {@code POST} body,
 * {@code /ping}, {@code /replicas_status}, anything — to ClickHouse on the {@code select} pool, and streams the
 * answer back chunk by chunk. One instance per client connection, after the request router in a pipeline with an
 * {@code HttpServerCodec}; it takes the {@code HttpRequest}, its {@code HttpContent}s and {@code LastHttpContent}
 * (or a {@code FullHttpRequest}).
 *
 * <p>Nothing is held whole: request bodies flow upstream while the upstream connection is writable (the client's
 * auto-read follows it), answers flow to the client while the client is writable (the upstream connection's
 * auto-read follows it). The client's credentials and query string pass through untouched, so ClickHouse checks
 * them itself. Requests on one connection are served in order: a pipelined request waits, unread beyond what had
 * arrived, until the answer before it is complete. A client that disconnects while its request waits for a select
 * connection gives up its place; one that disconnects while its query runs gets the query killed
 * ({@link SelectExchange}), and the select connection is not reused until it ended. If ClickHouse
 * cannot be reached or fails before answering, the client gets {@code 502} with the reason (a body-less GET is
 * first tried once more on a fresh connection); if it fails mid-answer, the client connection is closed (the
 * truncated chunked body shows the failure).
 */
public final class SelectProxyHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(SelectProxyHandler.class);

    private final SelectUpstream upstream;
    /** Messages not yet handed to an exchange: a pipelined next request waiting for the current one to end. */
    private final ArrayDeque<HttpObject> backlog = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private SelectExchange current;

    public SelectProxyHandler(SelectUpstream upstream) {
        this.upstream = upstream;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject http)) {
            ctx.fireChannelRead(msg);
            return;
        }
        backlog.add(http);
        drain();
    }

    private void drain() {
        while (!backlog.isEmpty()) {
            HttpObject next = backlog.peek();
            if (current == null && next instanceof HttpRequest request) {
                backlog.poll();
                start(request);
            } else if (current == null) {
                // The rest of a body whose request was already answered (and whose connection is closing).
                ReferenceCountUtil.release(backlog.poll());
            } else if (current.wantsBody() && next instanceof HttpContent content) {
                backlog.poll();
                current.body(content);
            } else {
                break;
            }
        }
        updateAutoRead();
    }

    private void start(HttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            ReferenceCountUtil.release(request);
            respondAndClose(HttpResponseStatus.BAD_REQUEST, "catflap: malformed HTTP request: "
                    + request.decoderResult().cause());
            return;
        }
        current = new SelectExchange(upstream, this, ctx.channel(), request);
        current.begin();
        if (request instanceof FullHttpRequest full) {
            // The request object itself is the body; pass its content on as a plain last chunk.
            current.body(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
        }
    }

    /**
     * Client loop: reads from the client only when there is somewhere to put what is read — no exchange running,
     * the running one still wants body and its upstream connection is writable, or its request is complete and
     * nothing is held back yet (reading on while the answer is awaited notices a client that goes away during a
     * long silent query; a pipelined next request stops it).
     */
    void updateAutoRead() {
        boolean read = backlog.isEmpty()
                && (current == null || !current.wantsBody() || current.readyForBody());
        ctx.channel().config().setAutoRead(read);
    }

    /** Client loop: {@code exchange} ended; {@code failure} is null when the whole answer was relayed. */
    void exchangeDone(SelectExchange exchange, Failure failure, Throwable cause) {
        if (exchange != current) {
            return;
        }
        current = null;
        if (!ctx.channel().isActive() || failure == Failure.CLIENT_CLOSED) {
            return;
        }
        if (failure != null) {
            log.debug("select proxy: {} for {}", failure, ctx.channel().remoteAddress(), cause);
            SelectExchange again = exchange.retry(failure);
            if (again != null) {
                current = again;
                again.begin();
                again.body(LastHttpContent.EMPTY_LAST_CONTENT);
            } else if (exchange.responseStarted()) {
                ctx.close();
            } else if (exchange.closeClientAfter() || exchange.wantsBody()) {
                respondAndClose(HttpResponseStatus.BAD_GATEWAY, badGateway(failure, cause));
            } else {
                ctx.writeAndFlush(textResponse(HttpResponseStatus.BAD_GATEWAY, badGateway(failure, cause)))
                        .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
                drain();
            }
        } else if (exchange.closeClientAfter() || exchange.wantsBody()) {
            // Answered before the whole body was read: the connection cannot carry another request.
            ctx.close();
        } else {
            drain();
        }
    }

    private String badGateway(Failure failure, Throwable cause) {
        String what = failure == Failure.UNREACHABLE ? "is unreachable" : "failed before answering";
        return "catflap: ClickHouse at " + upstream.host() + " " + what + ": " + cause;
    }

    private void respondAndClose(HttpResponseStatus status, String text) {
        FullHttpResponse response = textResponse(status, text);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private FullHttpResponse textResponse(HttpResponseStatus status, String text) {
        ByteBuf body = ByteBufUtil.writeUtf8(ctx.alloc(), text + "\n");
        FullHttpResponse response = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, status, body);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=UTF-8");
        HttpUtil.setContentLength(response, body.readableBytes());
        return response;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (current != null) {
            current.clientWritabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        backlog.forEach(ReferenceCountUtil::release);
        backlog.clear();
        if (current != null) {
            current.abort();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("select proxy: client {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
