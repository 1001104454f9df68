package io.catflap.aggregator.select;

import io.catflap.aggregator.select.SelectUpstream.Failure;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One proxied request and its answer, on one pooled upstream connection.
 *
 * <p>It lives on two event loops. Its {@link SelectProxyHandler} drives the request side on the client's loop
 * ({@link #begin}, {@link #body}, {@link #abort}); as a handler in the upstream pipeline it relays the answer on the
 * upstream channel's loop, writing each chunk to the client as it arrives and turning the upstream channel's
 * auto-read off while the client is not writable, so a result of any size passes through a bounded buffer. The
 * end of the exchange — answer complete, either side failing — is decided once ({@link #finish}) and reported back
 * on the client's loop.
 *
 * <p>Every query goes upstream with a {@code query_id}, the client's own or one added here, so that it can be
 * killed when its client goes away before the whole answer was sent: ClickHouse does not notice a closed
 * connection while a query computes without writing.
 */
final class SelectExchange extends ChannelInboundHandlerAdapter {

    private final SelectUpstream upstream;
    private final SelectProxyHandler owner;
    private final Channel client;
    private final HttpRequest clientRequest;
    private final boolean retry;
    private final HttpRequest request;
    /** The query's query_id upstream, or null for a request that runs none ({@code /ping}, {@code GET /}). */
    private final String queryId;
    private final HttpVersion clientVersion;
    private final boolean clientKeepAlive;
    private final boolean expectContinue;
    private final AtomicBoolean finished = new AtomicBoolean();

    // Client loop only.
    private final ArrayDeque<HttpContent> pendingBody = new ArrayDeque<>();
    private boolean requestRead;
    private boolean bodyless = true;
    private boolean clientGone;

    // Written on the client loop, read on the upstream loop.
    private volatile Channel channel;
    private volatile ChannelFuture requestSent;

    // Written on the upstream loop, read on the client loop after finish.
    private volatile boolean responseStarted;
    private volatile boolean closeClientAfter;
    private boolean upstreamKeepAlive;
    private boolean skippingInformational;

    SelectExchange(SelectUpstream upstream, SelectProxyHandler owner, Channel client, HttpRequest clientRequest) {
        this(upstream, owner, client, clientRequest, false);
    }

    private SelectExchange(SelectUpstream upstream, SelectProxyHandler owner, Channel client,
                           HttpRequest clientRequest, boolean retry) {
        this.upstream = upstream;
        this.owner = owner;
        this.client = client;
        this.clientRequest = clientRequest;
        this.retry = retry;
        String uri = clientRequest.uri();
        Map<String, List<String>> params = params(uri);
        List<String> given = params.getOrDefault("query_id", List.of());
        if (!given.isEmpty()) {
            this.queryId = given.get(0); // the first, as ClickHouse reads it
        } else if (params.containsKey("query") || HttpMethod.POST.equals(clientRequest.method())) {
            // Only these run a query: /ping?query_id=... would no longer be a ping.
            this.queryId = "catflap-" + UUID.randomUUID();
            uri += (uri.contains("?") ? "&" : "?") + "query_id=" + queryId;
        } else {
            this.queryId = null;
        }
        this.request = ProxyHeaders.toUpstream(clientRequest, uri, upstream.host(), client.remoteAddress());
        this.clientVersion = clientRequest.protocolVersion();
        this.clientKeepAlive = HttpUtil.isKeepAlive(clientRequest);
        this.expectContinue = !retry && HttpUtil.is100ContinueExpected(clientRequest);
    }

    /** The parameters of {@code uri}; none when they do not decode (ClickHouse is left to reject them). */
    private static Map<String, List<String>> params(String uri) {
        try {
            return new QueryStringDecoder(uri).parameters();
        } catch (IllegalArgumentException e) {
            return Map.of();
        }
    }

    /**
     * Client loop, once this exchange failed with {@code failure}: a second attempt on a fresh connection (to be
     * begun, its body being empty), or null.
     * Only a GET or HEAD without body whose answer had not begun is tried again, and only once: a pooled
     * connection can die under a request (ClickHouse restarted, or closed it as idle just then), and such a
     * request can be repeated safely, while a body already sent upstream is gone.
     */
    SelectExchange retry(Failure failure) {
        boolean safe = HttpMethod.GET.equals(clientRequest.method()) || HttpMethod.HEAD.equals(clientRequest.method());
        if (failure != Failure.UPSTREAM_CLOSED || retry || responseStarted || !bodyless || !requestRead || !safe) {
            return null;
        }
        upstream.countRetry();
        return new SelectExchange(upstream, owner, client, clientRequest, true);
    }

    /** Queues for a select connection (FIFO); the request is sent once one is free. */
    void begin() {
        Future<Channel> acquire = upstream.acquire();
        acquire.addListener(f -> client.eventLoop().execute(() -> acquired(acquire)));
    }

    private void acquired(Future<Channel> acquire) {
        if (!acquire.isSuccess()) {
            releasePendingBody();
            upstream.countFailure(Failure.UNREACHABLE);
            owner.exchangeDone(this, Failure.UNREACHABLE, acquire.cause());
            return;
        }
        Channel ch = acquire.getNow();
        if (clientGone) {
            upstream.release(ch); // unused: the slot goes to the next in line
            return;
        }
        channel = ch;
        ch.pipeline().addLast("select", this);
        if (expectContinue) {
            client.writeAndFlush(new DefaultFullHttpResponse(clientVersion, HttpResponseStatus.CONTINUE));
        }
        send(request);
        for (HttpContent c; (c = pendingBody.poll()) != null; ) {
            send(c);
        }
        ch.flush();
        owner.updateAutoRead();
    }

    /** The next piece of the client's request body; sent at once, or kept until a connection is acquired. */
    void body(HttpContent content) {
        if (content instanceof LastHttpContent) {
            requestRead = true;
        }
        if (content.content().isReadable()) {
            bodyless = false;
        }
        if (channel == null) {
            pendingBody.add(content);
        } else {
            send(content);
            channel.flush();
        }
    }

    private void send(HttpObject msg) {
        ChannelFuture f = channel.write(msg);
        if (msg instanceof LastHttpContent) {
            requestSent = f;
        }
        f.addListener(w -> {
            if (!w.isSuccess()) {
                fail(Failure.UPSTREAM_CLOSED, w.cause());
            }
        });
    }

    /** True until the client's whole request was read. */
    boolean wantsBody() {
        return !requestRead;
    }

    /** The upstream connection can take more of the request body now. */
    boolean readyForBody() {
        Channel ch = channel;
        return ch != null && ch.isWritable();
    }

    /** Whether the answer had begun reaching the client; valid once the exchange is done. */
    boolean responseStarted() {
        return responseStarted;
    }

    /** The client connection must close after this answer; valid once the exchange is done. */
    boolean closeClientAfter() {
        return closeClientAfter || !clientKeepAlive;
    }

    /** Client loop: the client's writability changed, so reading the answer may stop or resume. */
    void clientWritabilityChanged() {
        Channel ch = channel;
        if (ch != null) {
            // Auto-read of the upstream channel is only ever switched on its own loop: switched off from another
            // thread, NIO removes the read interest later, asynchronously, and can undo a switch-on made meanwhile.
            ch.eventLoop().execute(() -> {
                if (!finished.get()) {
                    ch.config().setAutoRead(client.isWritable());
                }
            });
        }
    }

    /** Client loop: the client is gone; its query is killed (see {@link #finish}). */
    void abort() {
        clientGone = true;
        releasePendingBody();
        if (channel != null) {
            fail(Failure.CLIENT_CLOSED, null);
        } else {
            upstream.countFailure(Failure.CLIENT_CLOSED);
        }
    }

    private void releasePendingBody() {
        for (HttpContent c; (c = pendingBody.poll()) != null; ) {
            c.release();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (finished.get()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                // Interim answers (no Expect is sent, but a server may still send them) are not relayed.
                skippingInformational = true;
            } else {
                upstreamKeepAlive = HttpUtil.isKeepAlive(response);
                closeClientAfter = ProxyHeaders.toClient(response, clientVersion, clientKeepAlive);
                responseStarted = true;
            }
        }
        if (skippingInformational) {
            skippingInformational = !(msg instanceof LastHttpContent);
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpContent content) {
            upstream.countResponseBytes(content.content().readableBytes());
        }
        ChannelFuture written = client.write(msg);
        if (msg instanceof LastHttpContent) {
            client.flush();
            finish(null, null, written);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        client.flush();
        if (!client.isWritable()) {
            ctx.channel().config().setAutoRead(false);
            // The client may have drained between the check and the switch; its writability event could be lost.
            if (client.isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        client.eventLoop().execute(owner::updateAutoRead);
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(Failure.UPSTREAM_CLOSED, new IOException("ClickHouse closed the connection before the answer ended"));
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(Failure.UPSTREAM_CLOSED, cause);
    }

    private void fail(Failure failure, Throwable cause) {
        finish(failure, cause, null);
    }

    /**
     * Ends the exchange exactly once, from either loop: the upstream connection goes back to the pool when it is
     * clean (whole request sent, whole answer read, keep-alive), else it is closed first; when the client left
     * a query unfinished, its slot is held until the query was killed.
     */
    private void finish(Failure failure, Throwable cause, ChannelFuture lastClientWrite) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        Channel ch = channel;
        if (ch.pipeline().context(this) != null) { // a closed channel's pipeline may be torn down already
            ch.pipeline().remove(this);
        }
        ChannelFuture sent = requestSent;
        if (failure == null && upstreamKeepAlive && sent != null && sent.isSuccess()) {
            // Only a complete answer, read on the upstream loop, gets here: the switch is on the channel's loop.
            ch.config().setAutoRead(true);
            upstream.release(ch);
        } else if (failure == Failure.CLIENT_CLOSED && queryId != null) {
            upstream.killAndRelease(ch, queryId);
        } else {
            ch.close().addListener(c -> upstream.release(ch));
        }
        if (failure != null) {
            upstream.countFailure(failure);
        }
        if (lastClientWrite == null) {
            client.eventLoop().execute(() -> owner.exchangeDone(this, failure, cause));
        } else {
            // Listeners run on the client's loop; the next request is taken once this answer is on the wire.
            lastClientWrite.addListener(w -> owner.exchangeDone(this, failure, cause));
        }
    }
}
