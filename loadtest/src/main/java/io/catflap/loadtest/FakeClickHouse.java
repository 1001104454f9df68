package io.catflap.loadtest;

import io.catflap.protocol.NettyTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A stand-in ClickHouse HTTP server that ingests INSERT bodies at a fixed total byte rate and stores nothing.
 * It reads slower than the sender writes (auto-read off until the rate allows more), so TCP pushes back exactly
 * as an overloaded server would. It answers {@code SELECT version()} with 18.16.1, any other query with
 * {@code 1}, and every INSERT with 200 once its body is read.
 */
public final class FakeClickHouse implements AutoCloseable {
    private static final int MAX_QUERY_BODY_BYTES = 1 << 20;

    private final EventLoopGroup group = NettyTransport.CURRENT.group(1);
    private final RateLimiter ingest;
    private final Channel server;
    private final LongAdder inserts = new LongAdder();
    private final LongAdder insertedBytes = new LongAdder();
    private final AtomicInteger insertsInFlight = new AtomicInteger();
    private final AtomicInteger peakInsertsInFlight = new AtomicInteger();

    private FakeClickHouse(String host, int port, long bytesPerSecond) throws InterruptedException {
        this.ingest = new RateLimiter(bytesPerSecond);
        this.server = new ServerBootstrap().group(group).channel(NettyTransport.CURRENT.serverChannel())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new Exchange());
                    }
                })
                .bind(host, port).sync().channel();
    }

    /** Starts listening on {@code host:port} (port 0 picks a free one); {@code bytesPerSecond <= 0} is unlimited. */
    public static FakeClickHouse start(String host, int port, long bytesPerSecond) throws InterruptedException {
        Target.requireLoopback(host);
        return new FakeClickHouse(host, port, bytesPerSecond);
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    public String url() {
        return "http://" + ((InetSocketAddress) server.localAddress()).getHostString() + ":" + port();
    }

    public long inserts() {
        return inserts.sum();
    }

    public long insertedBytes() {
        return insertedBytes.sum();
    }

    /** The most INSERTs that were being received at the same time. */
    public int peakInsertsInFlight() {
        return peakInsertsInFlight.get();
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    /** One HTTP exchange at a time on a connection: the request line decides INSERT or query. */
    private final class Exchange extends SimpleChannelInboundHandler<HttpObject> {
        private boolean insert;
        private boolean keepAlive;
        private final StringBuilder queryBody = new StringBuilder();
        private long resumeAtNanos;
        private boolean paused;
        private String query = "";

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg instanceof HttpRequest request) {
                keepAlive = HttpUtil.isKeepAlive(request);
                List<String> q = new QueryStringDecoder(request.uri()).parameters().get("query");
                query = q == null ? "" : q.get(0);
                queryBody.setLength(0);
                insert = query.stripLeading().toUpperCase(Locale.ROOT).startsWith("INSERT");
                if (insert) {
                    peakInsertsInFlight.accumulateAndGet(insertsInFlight.incrementAndGet(), Math::max);
                }
            }
            if (msg instanceof HttpContent content) {
                ByteBuf bytes = content.content();
                if (insert) {
                    throttle(ctx, bytes.readableBytes());
                    insertedBytes.add(bytes.readableBytes());
                } else if (queryBody.length() < MAX_QUERY_BODY_BYTES) {
                    queryBody.append(bytes.toString(StandardCharsets.UTF_8));
                }
                if (content instanceof LastHttpContent) {
                    answer(ctx);
                }
            }
        }

        /**
         * Books {@code bytes} on the shared ingest rate and stops reading this connection until the last booked
         * slot starts, so that a connection is never more than one socket read ahead of the rate.
         */
        private void throttle(ChannelHandlerContext ctx, int bytes) {
            long now = System.nanoTime();
            long slot = ingest.reserve(now, bytes);
            if (!paused || slot - resumeAtNanos > 0) {
                resumeAtNanos = slot;
            }
            if (!paused && resumeAtNanos - now > 0) {
                paused = true;
                ctx.channel().config().setAutoRead(false);
                resumeLater(ctx);
            }
        }

        private void resumeLater(ChannelHandlerContext ctx) {
            ctx.executor().schedule(() -> {
                if (resumeAtNanos - System.nanoTime() > 0) {
                    resumeLater(ctx);
                    return;
                }
                paused = false;
                ctx.channel().config().setAutoRead(true);
                ctx.read();
            }, resumeAtNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        private void answer(ChannelHandlerContext ctx) {
            String body;
            if (insert) {
                insertsInFlight.decrementAndGet();
                inserts.increment();
                body = "";
            } else {
                String sql = (query + " " + queryBody).toLowerCase(Locale.ROOT);
                body = sql.contains("version()") ? "18.16.1\n" : "1\n";
            }
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            HttpUtil.setContentLength(response, response.content().readableBytes());
            HttpUtil.setKeepAlive(response, keepAlive);
            if (keepAlive) {
                ctx.writeAndFlush(response);
            } else {
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
            insert = false;
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (insert) {
                insertsInFlight.decrementAndGet();
                insert = false;
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
