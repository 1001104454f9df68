package io.catflap.aggregator.select;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A scripted stand-in for ClickHouse, for faults the real server cannot be made to produce on demand. */
final class FakeUpstream implements AutoCloseable {

    /** Answers (or fails to answer) one request; runs on the fake's event loop and must not block. */
    interface Script {
        void handle(ChannelHandlerContext ctx, FullHttpRequest request);
    }

    final AtomicInteger requests = new AtomicInteger();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final LoopbackServer server;

    FakeUpstream(Script script) throws InterruptedException {
        server = new LoopbackServer(group, p -> p.addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                new SimpleChannelInboundHandler<FullHttpRequest>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                        requests.incrementAndGet();
                        script.handle(ctx, req);
                    }
                }));
    }

    URI url() {
        return server.url();
    }

    /** Connections the proxy opened to this upstream. */
    int connections() {
        return server.connections.get();
    }

    @Override
    public void close() {
        server.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
