package io.catflap.client;

import io.catflap.client.admin.AdminServer;
import io.catflap.client.api.LocalApiHandler;
import io.catflap.client.api.QueryForwarder;
import io.catflap.client.api.UdpHandler;
import io.catflap.client.buffer.MemoryBuffers;
import io.catflap.client.kitten.KittenDestination;
import io.catflap.client.persist.PersistentLog;
import io.catflap.client.route.Router;
import io.catflap.client.route.RoutingConfig;
import io.catflap.protocol.NettyTransport;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static io.catflap.client.admin.AdminServer.json;

/**
 * The per-host daemon: the local API (HTTP and UDP on one port), memory buffers, the persistent log, routing to
 * destinations and the admin server, wired together. {@link #reload()} re-reads the routing file (SIGHUP).
 */
public final class ClientDaemon implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClientDaemon.class);
    /** kittenhouse's limit on a POST body. */
    private static final int MAX_POST_BYTES = 16 << 20;
    private static final int MAX_UDP_PACKET = 64 << 10;
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(10);
    /** Bound on each of the other shutdown steps. */
    private static final Duration CLOSE_STEP_TIMEOUT = Duration.ofSeconds(10);
    private static final int PERSIST_APPEND_THREADS = 64;

    private final DaemonConfig config;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ClientMetrics metrics = new ClientMetrics(registry);
    private final EventLoopGroup group = NettyTransport.CURRENT.group(0);
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(threads("catflap-timer"));
    private final ExecutorService httpClients = Executors.newCachedThreadPool(threads("catflap-http"));
    /** Write the persistent log's appends, one thread per table being written (its appends go in groups). */
    private final ExecutorService persistWriters = Executors.newFixedThreadPool(PERSIST_APPEND_THREADS,
            threads("catflap-persist-append"));
    private final ExecutorService queryStreams = Executors.newCachedThreadPool(threads("catflap-query"));
    private final Router router;
    private final MemoryBuffers memory;
    private final PersistentLog persistent;
    private final Channel http;
    private final Channel udp;
    private final AdminServer admin;

    public ClientDaemon(DaemonConfig config) throws IOException, InterruptedException {
        this.config = config;
        this.router = new Router(readRouting(),
                hp -> new KittenDestination(hp, group, httpClients, config.kitten(), config.kittenRecheckInterval()),
                timer, config.healthCheckInterval(), metrics);
        this.memory = new MemoryBuffers(router::insert, timer, config.bufferBytes(), config.maxMemoryBytes(),
                config.persist().maxSendSize(), metrics);
        this.persistent = new PersistentLog(config.dir(), config.persist(), registry);
        persistent.startSender(new RoutedPersistSink(router));
        Ingest ingest = new Ingest(memory, persistent, router, persistWriters, metrics);
        LocalApiHandler api = new LocalApiHandler(ingest, new QueryForwarder(router, queryStreams));
        this.http = new ServerBootstrap().group(group).channel(NettyTransport.CURRENT.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(LocalApiHandler.newCodec(),
                                new HttpObjectAggregator(MAX_POST_BYTES), api);
                    }
                })
                .bind(config.host(), config.port()).sync().channel();
        this.udp = new Bootstrap().group(group).channel(NettyTransport.CURRENT.datagramChannel())
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_UDP_PACKET))
                .handler(new UdpHandler(ingest, metrics))
                .bind(config.host(), config.port()).sync().channel();
        this.admin = config.admin() == null ? null : new AdminServer(config.admin(), registry, this::statusJson);
        LOG.info("listening on {}:{} (HTTP and UDP), admin on {}, persistent data in {}", config.host(), config.port(),
                config.admin(), config.dir());
    }

    /** Re-reads the routing file; a bad file is logged and the old routing stays. */
    public void reload() {
        try {
            router.apply(readRouting());
        } catch (IOException | IllegalArgumentException e) {
            LOG.error("bad routing config, keeping the old one: {}", e.getMessage());
        }
    }

    private RoutingConfig readRouting() throws IOException {
        return config.routingFile() == null ? RoutingConfig.single(config.defaultAddress())
                : RoutingConfig.parse(Files.readString(config.routingFile()));
    }

    /** Small JSON for operators: live config, destinations and what the buffers hold. */
    String statusJson() {
        String destinations = router.targets().stream()
                .map(t -> "{\"address\":" + json(t.destination().hostPort()) + ",\"healthy\":" + t.healthy()
                        + ",\"mode\":" + json(t.destination().mode().name()) + "}")
                .collect(Collectors.joining(","));
        String buffers = memory.bufferedBytes().entrySet().stream()
                .map((Map.Entry<String, Long> e) -> json(e.getKey()) + ":" + e.getValue())
                .collect(Collectors.joining(","));
        return "{\"config_hash\":" + json(router.config().hash()) + ",\"destinations\":[" + destinations
                + "],\"memory_buffers\":{" + buffers + "},\"persistent_dir\":" + json(config.dir().toString()) + "}\n";
    }

    /**
     * Stops taking writes, gives the memory buffers a few seconds to empty, then closes everything. Every step is
     * bounded: one that does not finish in time (a peer or a resolver that never answers) is logged and left behind,
     * so a SIGTERM always ends the process.
     */
    @Override
    public void close() {
        awaitStep("closing the HTTP listener", http.close());
        awaitStep("closing the UDP listener", udp.close());
        try {
            long left = memory.drain(DRAIN_TIMEOUT);
            if (left > 0) {
                LOG.warn("{} bytes of in-memory rows not delivered at shutdown", left);
            }
            persistWriters.shutdown();
            if (!persistWriters.awaitTermination(CLOSE_STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("shutdown: persistent appends still running after {} ms; going on without them",
                        CLOSE_STEP_TIMEOUT.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        persistent.close();
        timer.shutdownNow();
        router.close();
        if (admin != null) {
            admin.close();
        }
        awaitStep("stopping the event loops", group.shutdownGracefully(0, 2, TimeUnit.SECONDS));
        queryStreams.shutdownNow();
        httpClients.shutdownNow();
    }

    private static void awaitStep(String step, Future<?> done) {
        if (!done.awaitUninterruptibly(CLOSE_STEP_TIMEOUT.toMillis())) {
            LOG.warn("shutdown: {} did not finish within {} ms; going on without it", step, CLOSE_STEP_TIMEOUT.toMillis());
        }
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
