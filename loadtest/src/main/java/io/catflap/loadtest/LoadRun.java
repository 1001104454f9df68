package io.catflap.loadtest;

import io.catflap.protocol.HandshakeReplyDecoder;
import io.catflap.protocol.Kitten;
import io.catflap.protocol.NettyTransport;
import io.catflap.protocol.RequestFrameEncoder;
import io.catflap.protocol.ResponseFrameDecoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The connections of one run on a few NIO event loops (no thread per connection): idle ones held open, active
 * ones each running a {@link RequestLoop}. Owns the shared request budget, rate limit and stop flag. With several
 * destinations, connection {@code i} (active or idle) goes to destination {@code i mod n}, as per-host clients spread
 * over the aggregators of a cluster.
 */
final class LoadRun implements AutoCloseable {
    /** Connection attempts in flight at once while opening many connections, so the target's backlog keeps up. */
    private static final int CONNECTS_IN_FLIGHT = 256;
    private static final long RECONNECT_DELAY_MILLIS = 200;
    private static final int MAX_SELECT_RESPONSE_BYTES = 16 << 20;

    private final List<Target> destinations;
    private final Workload workload;
    private final Stats stats;
    private final RateLimiter limiter;
    private final long requestTimeoutMillis;
    private final KittenOptions kitten;
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Semaphore connectSlots = new Semaphore(CONNECTS_IN_FLIGHT);
    private final AtomicLong budget;
    private volatile boolean stopping;
    private volatile CountDownLatch hostsRunning = new CountDownLatch(0);

    LoadRun(List<Target> destinations, Workload workload, Stats stats, double ratePerSecond, long maxRequests,
            long requestTimeoutMillis, KittenOptions kitten, int ioThreads) {
        this.destinations = destinations;
        this.workload = workload;
        this.stats = stats;
        this.limiter = new RateLimiter(ratePerSecond);
        this.budget = new AtomicLong(maxRequests > 0 ? maxRequests : Long.MAX_VALUE);
        this.requestTimeoutMillis = requestTimeoutMillis;
        this.kitten = kitten;
        this.group = NettyTransport.CURRENT.group(ioThreads);
        this.bootstrap = new Bootstrap().group(group).channel(NettyTransport.CURRENT.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
    }

    Workload workload() {
        return workload;
    }

    /** The run's totals. */
    Stats stats() {
        return stats;
    }

    /** The counters of the destination {@code host} sends to; they count in the totals too. */
    Stats stats(SimulatedHost host) {
        return stats.destination(destinationIndex(host.id));
    }

    private int destinationIndex(int connection) {
        return connection % destinations.size();
    }

    RateLimiter limiter() {
        return limiter;
    }

    long requestTimeoutMillis() {
        return requestTimeoutMillis;
    }

    boolean stopping() {
        return stopping;
    }

    /**
     * Opens {@code n} idle connections, a bounded number at a time; returns when each one is established (after
     * its handshake, over KITTEN), failed or closed, or after {@code settleMillis}.
     */
    void openIdle(int n, long settleMillis) throws InterruptedException {
        LongAdder failed = new LongAdder();
        for (int i = 0; i < n && !stopping; i++) {
            connectSlots.acquire();
            Target destination = destinations.get(destinationIndex(i));
            connect(destination, () -> idlePipeline(destination), failure -> {
                failed.increment();
                stats.error("idle connect failed: " + failure);
            }, true);
        }
        long deadline = System.nanoTime() + settleMillis * 1_000_000;
        while (stats.idleConnected.sum() + stats.idleClosed.sum() + failed.sum() < n
                && System.nanoTime() - deadline < 0) {
            Thread.sleep(50);
        }
    }

    private ChannelHandler[] idlePipeline(Target target) {
        if (target.kind() == Target.Kind.KITTEN) {
            return new ChannelHandler[] {new HandshakeReplyDecoder(), new IdleConnection(this, true, kitten.token())};
        }
        return new ChannelHandler[] {new IdleConnection(this, false, null)};
    }

    /** Starts {@code n} active hosts; each runs until the budget is spent or {@link #stop()} is called. */
    void startActive(int n) throws InterruptedException {
        hostsRunning = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            connectSlots.acquire();
            connectActive(new SimulatedHost(i), true);
        }
    }

    private void connectActive(SimulatedHost host, boolean paced) {
        if (stopping) {
            hostDone();
            return;
        }
        Target destination = destinations.get(destinationIndex(host.id));
        connect(destination, () -> activePipeline(destination, host), failure -> {
            stats(host).error("connect failed: " + failure);
            reconnect(host);
        }, paced);
    }

    private ChannelHandler[] activePipeline(Target target, SimulatedHost host) {
        if (target.kind() == Target.Kind.KITTEN) {
            return new ChannelHandler[] {new HandshakeReplyDecoder(),
                    new ResponseFrameDecoder(Kitten.MAX_RESPONSE_MESSAGE_BYTES), new RequestFrameEncoder(),
                    new KittenSession(this, host, kitten)};
        }
        return new ChannelHandler[] {new HttpClientCodec(), new HttpObjectAggregator(MAX_SELECT_RESPONSE_BYTES),
                new HttpSession(this, host, target)};
    }

    /**
     * Connects a channel with a fresh pipeline; a {@code paced} attempt holds one of the connect slots (taken by the
     * caller) until it completes.
     */
    private void connect(Target destination, Supplier<ChannelHandler[]> handlers, Consumer<String> onFailure,
            boolean paced) {
        Bootstrap b = bootstrap.clone().remoteAddress(destination.address()).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(handlers.get());
            }
        });
        b.connect().addListener((ChannelFutureListener) f -> {
            if (paced) {
                connectSlots.release();
            }
            if (f.isSuccess()) {
                channels.add(f.channel());
            } else {
                onFailure.accept(ErrorText.firstLine(String.valueOf(f.cause().getMessage())));
            }
        });
    }

    /** Takes one request from the budget; false once the run is stopping or the budget is spent. */
    boolean claim() {
        if (stopping) {
            return false;
        }
        if (budget.decrementAndGet() < 0) {
            budget.incrementAndGet();
            return false;
        }
        return true;
    }

    /** Gives back a claimed request that was not sent. */
    void unclaim() {
        budget.incrementAndGet();
    }

    void hostDone() {
        hostsRunning.countDown();
    }

    /** A host's connection closed before it finished: reconnect after a pause, unless the run is ending. */
    void reconnect(SimulatedHost host) {
        if (stopping) {
            hostDone();
            return;
        }
        stats.reconnects.increment();
        group.schedule(() -> connectActive(host, false), RECONNECT_DELAY_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** No new requests from now on; requests in flight still get their answers. */
    void stop() {
        stopping = true;
    }

    /** Waits until every active host finished; false on timeout. */
    boolean awaitHosts(long timeout, TimeUnit unit) throws InterruptedException {
        return hostsRunning.await(timeout, unit);
    }

    int openConnections() {
        return channels.size();
    }

    @Override
    public void close() {
        stopping = true;
        channels.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
