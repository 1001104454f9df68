package io.catflap.aggregator;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A scripted stand-in for ClickHouse's HTTP interface, for fault injection only (slow, failing, resetting
 * answers). {@code SELECT version()} is answered as 18.16.1 and a table's engine as {@link #engine}; every other
 * request goes to the script.
 */
public final class FakeClickHouse implements AutoCloseable {
    /** What to do with one request; {@code release}, when not null, holds the answer until it completes. */
    public record Answer(long delayMillis, int status, String body, boolean resets, CompletionStage<?> release) {
        public Answer(long delayMillis, int status, String body, boolean resets) {
            this(delayMillis, status, body, resets, null);
        }

        /** 200 once {@code release} completes: a slow upstream whose slowness the test ends, not a clock. */
        public static Answer okWhen(CompletionStage<?> release) {
            return new Answer(0, 200, "", false, release);
        }

        public static Answer ok(long delayMillis) {
            return new Answer(delayMillis, 200, "", false);
        }

        public static Answer error(int status, String body) {
            return new Answer(0, status, body, false);
        }

        public static Answer connectionReset() {
            return new Answer(0, 0, "", true);
        }
    }

    /** A request as received: its URI and body, and the status it was answered with (0: reset). */
    public record Received(String uri, String body, int status) { }

    final List<Received> received = new CopyOnWriteArrayList<>();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private volatile Function<Received, Answer> script;
    private volatile String engine = "MergeTree";

    /** @param script answers a request, given its URI and body */
    public FakeClickHouse(Function<Received, Answer> script) throws InterruptedException {
        this.script = script;
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec()).addLast(new HttpObjectAggregator(64 << 20))
                                .addLast(new Handler());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    /** The engine {@code system.tables} gives every table from now on. */
    public void engine(String name) {
        engine = name;
    }

    /** Every request but the version probe and engine lookups, in arrival order. */
    public List<Received> received() {
        return List.copyOf(received);
    }

    /** Bodies of the requests answered 200. */
    public List<String> committed() {
        return received.stream().filter(r -> r.status() == 200).map(Received::body).toList();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + ((java.net.InetSocketAddress) server.localAddress()).getPort());
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String body = req.content().toString(StandardCharsets.UTF_8);
            if (body.equals("SELECT version()")) {
                respond(ctx, new Answer(0, 200, "18.16.1\n", false));
                return;
            }
            if (body.startsWith("SELECT engine FROM system.tables")) {
                respond(ctx, new Answer(0, 200, engine + "\n", false));
                return;
            }
            Answer a = script.apply(new Received(req.uri(), body, 0));
            received.add(new Received(req.uri(), body, a.resets() ? 0 : a.status()));
            if (a.resets()) {
                ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
                ctx.close();
            } else if (a.release() != null) {
                a.release().whenComplete((v, e) -> ctx.executor().execute(() -> respond(ctx, a)));
            } else if (a.delayMillis() > 0) {
                ctx.executor().schedule(() -> respond(ctx, a), a.delayMillis(), TimeUnit.MILLISECONDS);
            } else {
                respond(ctx, a);
            }
        }

        private void respond(ChannelHandlerContext ctx, Answer a) {
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(a.status()), Unpooled.copiedBuffer(a.body(), StandardCharsets.UTF_8));
            resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, resp.content().readableBytes());
            ctx.writeAndFlush(resp);
        }
    }
}
