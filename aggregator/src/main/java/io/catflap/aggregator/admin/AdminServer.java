package io.catflap.aggregator.admin;

import io.catflap.protocol.NettyTransport;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin port: {@code /metrics} (Prometheus text), {@code /health}, {@code /status} (JSON) and the live status
 * page at {@code /}. Kept off the data port so that scrapes and dashboards work while the data port is flooded.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    /** Admin requests are GETs; a request with a larger body is refused (413). */
    private static final int MAX_REQUEST_BYTES = 16 << 10;

    private final Channel channel;
    private final ScheduledFuture<?> sampler;

    private AdminServer(Channel channel, ScheduledFuture<?> sampler) {
        this.channel = channel;
        this.sampler = sampler;
    }

    /**
     * Binds {@code addr} (port 0 picks a free one) and serves until {@link #close()}.
     *
     * @param token the bearer token {@code /metrics} and {@code /status} require, or null for none
     */
    public static AdminServer start(InetSocketAddress addr, EventLoopGroup group, PrometheusMeterRegistry registry,
                                    StatusSource status, String token) throws InterruptedException {
        IngestRates rates = new IngestRates();
        AdminHandler handler = new AdminHandler(registry, status, rates, token);
        Channel channel = new ServerBootstrap()
                .group(group)
                .channel(NettyTransport.of(group).serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("codec", new HttpServerCodec())
                                .addLast("keepAlive", new HttpServerKeepAliveHandler())
                                .addLast("aggregator", new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                .addLast("admin", handler);
                    }
                })
                .bind(addr).sync().channel();
        ScheduledFuture<?> sampler = group.next().scheduleAtFixedRate(() -> {
            try {
                rates.sample(status.snapshot(), System.nanoTime());
            } catch (RuntimeException e) {
                // Caught so that the next sample is still taken (a periodic task that throws is not run again).
                log.warn("status snapshot failed; ingest rates skip this sample", e);
            }
        }, 0, 1, TimeUnit.SECONDS);
        return new AdminServer(channel, sampler);
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        sampler.cancel(false);
        channel.close().syncUninterruptibly();
    }

    /**
     * Registers the process-level meters an operator needs next to the aggregator's own: JVM memory, GC, threads,
     * classes, CPU, uptime, open files, resident set size and Netty's buffer memory. Call once per registry.
     */
    public static void bindJvmMetrics(MeterRegistry registry) {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        if (ResidentMemory.available()) {
            Gauge.builder("process.resident.memory", ResidentMemory::bytes)
                    .description("Resident set size of the process (VmRSS)")
                    .baseUnit("bytes")
                    .register(registry);
        }
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider) {
            Gauge.builder("netty.allocator.memory.used", provider, p -> p.metric().usedDirectMemory())
                    .description("Memory used by Netty's default buffer allocator")
                    .tag("area", "direct").baseUnit("bytes").register(registry);
            Gauge.builder("netty.allocator.memory.used", provider, p -> p.metric().usedHeapMemory())
                    .description("Memory used by Netty's default buffer allocator")
                    .tag("area", "heap").baseUnit("bytes").register(registry);
        }
    }
}
