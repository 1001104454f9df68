package io.catflap.aggregator.select;

import io.catflap.aggregator.upstream.QueryKiller;
import io.catflap.aggregator.upstream.UpstreamExchange;
import io.catflap.aggregator.upstream.UpstreamPool;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.URI;
import java.util.concurrent.TimeUnit;

/** A server whose every request goes to a {@link SelectProxyHandler}: the select path without the rest. */
final class SelectProxyRig implements AutoCloseable {

    final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    final MeterRegistry registry = new SimpleMeterRegistry();
    final SelectUpstream upstream;
    /** The pool the KILLs go through, as the aggregator's insert pool. */
    final UpstreamPool control;
    private final LoopbackServer server;

    SelectProxyRig(URI clickhouse, int maxSelects) throws InterruptedException {
        control = new UpstreamPool("insert", clickhouse, null, 2, group, registry);
        upstream = new SelectUpstream(clickhouse, null, maxSelects, group, registry,
                new QueryKiller(new UpstreamExchange(control, clickhouse, 30_000), null, null));
        server = new LoopbackServer(group, p -> p.addLast(new HttpServerCodec(), new SelectProxyHandler(upstream)));
    }

    int port() {
        return server.port();
    }

    /** Client connections accepted so far. */
    int accepted() {
        return server.connections.get();
    }

    double failures(String reason) {
        Counter counter = registry.find("catflap.select.failures").tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    @Override
    public void close() {
        server.close();
        upstream.close();
        control.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
