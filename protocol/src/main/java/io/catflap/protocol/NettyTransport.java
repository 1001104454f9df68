package io.catflap.protocol;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.Locale;

/**
 * The Netty transport every catflap process uses: native epoll on Linux where its library loads (fewer system calls
 * and no selector garbage per read), else NIO. {@code -Dcatflap.transport=nio} forces NIO. An event loop group
 * and the channels registered on it must come from the same transport.
 */
public enum NettyTransport {
    EPOLL, NIO;

    /** The transport of this process. */
    public static final NettyTransport CURRENT = choose();

    private static NettyTransport choose() {
        boolean nio = "nio".equals(System.getProperty("catflap.transport", "").toLowerCase(Locale.ROOT));
        return !nio && Epoll.isAvailable() ? EPOLL : NIO;
    }

    /** The transport of {@code group}'s event loops, whose channels must be of that transport too. */
    public static NettyTransport of(EventLoopGroup group) {
        return group instanceof IoEventLoopGroup io && io.isIoType(EpollIoHandler.class) ? EPOLL : NIO;
    }

    /** A group of {@code threads} event loops (0: Netty's default, twice the cores). */
    public EventLoopGroup group(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory());
    }

    private IoHandlerFactory ioHandlerFactory() {
        return this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    public Class<? extends ServerSocketChannel> serverChannel() {
        return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    public Class<? extends SocketChannel> socketChannel() {
        return this == EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    public Class<? extends DatagramChannel> datagramChannel() {
        return this == EPOLL ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }
}
