package io.catflap.aggregator.select;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** A test server on a free loopback port; {@code init} sets up each connection's pipeline. Counts connections. */
final class LoopbackServer implements AutoCloseable {

    final AtomicInteger connections = new AtomicInteger();
    private final Channel channel;

    LoopbackServer(EventLoopGroup group, Consumer<ChannelPipeline> init) throws InterruptedException {
        channel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.incrementAndGet();
                        init.accept(ch.pipeline());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + port());
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
