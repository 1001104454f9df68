package io.catflap.aggregator.upstream;

import io.catflap.aggregator.tls.TlsContext;
import io.catflap.protocol.NettyTransport;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded pool of keep-alive HTTP connections to ClickHouse: at most {@code maxConnections} requests are in
 * flight at once, further acquires wait in FIFO order. One pool per kind of traffic ("insert", "select") so
 * that neither can starve the other.
 *
 * <p>Contract: {@link #acquire()} completes with an active channel whose pipeline holds only an
 * {@link HttpClientCodec} named {@value #CODEC} (behind an {@link SslHandler} whose handshake completed, towards an
 * https URL). The caller adds its own handlers, sends exactly one request and,
 * once the response's {@code LastHttpContent} arrived, removes its handlers and calls {@link #release(Channel)}.
 * On any error the caller closes the channel and still releases it (the pool then drops it).
 *
 * <p>Channels idle for longer than {@link #IDLE_TIMEOUT_MILLIS} are discarded on acquire instead of being reused:
 * ClickHouse closes keep-alive connections after {@code keep_alive_timeout} (3 s by default), and sending on a
 * connection the server is just closing ends in a reset that looks like an upstream failure.
 *
 * <p>The pool uses NIO channels, so {@code group} must be an NIO event loop group.
 */
public final class UpstreamPool implements AutoCloseable {
    /** Name of the HTTP client codec in every pooled channel's pipeline. */
    public static final String CODEC = "codec";
    /** Name of the TLS handler in front of the codec, towards an https URL. */
    static final String TLS = "tls";
    /** Below ClickHouse's default keep_alive_timeout of 3 s. */
    static final long IDLE_TIMEOUT_MILLIS = 2_000;
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final AttributeKey<Long> RELEASED_AT = AttributeKey.valueOf("catflap.upstream.releasedAt");
    private static final AttributeKey<Boolean> LEASED = AttributeKey.valueOf("catflap.upstream.leased");

    private final String name;
    private final FixedChannelPool pool;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger queued = new AtomicInteger();
    private final MeterRegistry registry;
    private final List<Meter> meters;

    /** @param tls for an https URL: whom to trust (null for http) */
    public UpstreamPool(String name, URI clickhouse, TlsContext tls, int maxConnections, EventLoopGroup group,
                        MeterRegistry registry) {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be >= 1: " + maxConnections);
        }
        this.name = Objects.requireNonNull(name, "name");
        this.registry = registry;
        String host = host(clickhouse);
        int port = port(clickhouse);
        if (https(clickhouse) != (tls != null)) {
            throw new IllegalArgumentException("TLS goes with an https URL, and only with one: " + clickhouse);
        }
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(NettyTransport.of(group).socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                .remoteAddress(host, port);
        this.pool = new FixedChannelPool(bootstrap, new AbstractChannelPoolHandler() {
            @Override
            public void channelCreated(Channel ch) {
                if (tls != null) {
                    ch.pipeline().addLast(TLS, tls.clientHandler(ch, host, port));
                }
                ch.pipeline().addLast(CODEC, new HttpClientCodec());
            }
        }, FRESH, null, -1, maxConnections, Integer.MAX_VALUE, true, false);
        this.meters = List.of(
                Gauge.builder("catflap.upstream.in_flight", inFlight, AtomicInteger::get)
                        .description("Upstream requests holding a connection").tag("pool", name).register(registry),
                Gauge.builder("catflap.upstream.queued", queued, AtomicInteger::get)
                        .description("Upstream requests waiting for a connection").tag("pool", name)
                        .register(registry));
    }

    /** Active and not idle for so long that the server may be closing it. */
    private static final ChannelHealthChecker FRESH = ch -> {
        Long releasedAt = ch.attr(RELEASED_AT).get();
        boolean fresh = ch.isActive()
                && (releasedAt == null || System.nanoTime() - releasedAt
                < TimeUnit.MILLISECONDS.toNanos(IDLE_TIMEOUT_MILLIS));
        if (!fresh && ch.isOpen()) {
            ch.close();
        }
        return ch.eventLoop().newSucceededFuture(fresh);
    };

    /**
     * FIFO-queued; completes with a keep-alive channel whose pipeline holds only the HTTP client codec (and TLS, its
     * handshake done: a TLS failure is a failure to connect, not one of the request).
     */
    public Future<Channel> acquire() {
        queued.incrementAndGet();
        // the counters change before the caller sees the channel, so they never lag behind what callers hold
        Promise<Channel> leased = ImmediateEventExecutor.INSTANCE.newPromise();
        pool.acquire().addListener(done -> {
            queued.decrementAndGet();
            if (!done.isSuccess()) {
                leased.setFailure(done.cause());
                return;
            }
            Channel ch = (Channel) done.getNow();
            ch.attr(LEASED).set(Boolean.TRUE);
            inFlight.incrementAndGet();
            SslHandler tls = (SslHandler) ch.pipeline().get(TLS);
            if (tls == null) {
                leased.setSuccess(ch);
                return;
            }
            tls.handshakeFuture().addListener(handshake -> {
                if (handshake.isSuccess()) {
                    leased.setSuccess(ch);
                } else {
                    ch.close();
                    release(ch);
                    leased.setFailure(handshake.cause());
                }
            });
        });
        return leased;
    }

    /**
     * Gives a channel back; a closed channel is dropped and its slot freed. Releasing twice is harmless until the
     * channel was acquired again: the pool cannot tell a late second release from the next holder's.
     */
    public void release(Channel ch) {
        if (!Boolean.TRUE.equals(ch.attr(LEASED).getAndSet(Boolean.FALSE))) {
            return;
        }
        inFlight.decrementAndGet();
        ch.attr(RELEASED_AT).set(System.nanoTime());
        pool.release(ch);
    }

    public int inFlight() {
        return inFlight.get();
    }

    public int queued() {
        return queued.get();
    }

    public String name() {
        return name;
    }

    @Override
    public void close() {
        meters.forEach(registry::remove);
        pool.close();
    }

    private static String host(URI uri) {
        String host = uri.getHost();
        if (host == null) {
            throw new IllegalArgumentException("no host in ClickHouse URL: " + uri);
        }
        return host;
    }

    /** ClickHouse's default ports: {@code http_port} 8123, {@code https_port} 8443. */
    private static int port(URI uri) {
        return uri.getPort() > 0 ? uri.getPort() : https(uri) ? 8443 : 8123;
    }

    /** Whether {@code uri} is https; other schemes than http are refused. */
    public static boolean https(URI uri) {
        if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("expected an http:// or https:// ClickHouse URL: " + uri);
        }
        return "https".equalsIgnoreCase(uri.getScheme());
    }
}
