package io.catflap.aggregator;

import io.catflap.aggregator.admin.AdminServer;
import io.catflap.aggregator.batch.BatchMemory;
import io.catflap.aggregator.batch.Batcher;
import io.catflap.aggregator.batch.TrackedTables;
import io.catflap.aggregator.ingest.AccessPolicy;
import io.catflap.aggregator.ingest.BadRequests;
import io.catflap.aggregator.ingest.DedupWindow;
import io.catflap.aggregator.ingest.Ingest;
import io.catflap.aggregator.ingest.PipelineShare;
import io.catflap.aggregator.ingest.Pipelines;
import io.catflap.aggregator.ingest.Quarantine;
import io.catflap.aggregator.ingest.ReadDeadlineHandler;
import io.catflap.aggregator.ingest.ReadGate;
import io.catflap.aggregator.ingest.TokenFile;
import io.catflap.aggregator.select.SelectProxyHandler;
import io.catflap.aggregator.select.SelectUpstream;
import io.catflap.aggregator.upstream.ActivePartsReader;
import io.catflap.aggregator.upstream.QueryKiller;
import io.catflap.aggregator.tls.TlsContext;
import io.catflap.aggregator.upstream.ServerVersionProbe;
import io.catflap.aggregator.upstream.SplitBudget;
import io.catflap.aggregator.upstream.TableEngines;
import io.catflap.aggregator.upstream.TableLayouts;
import io.catflap.aggregator.upstream.UpstreamExchange;
import io.catflap.aggregator.upstream.UpstreamInsert;
import io.catflap.aggregator.upstream.UpstreamPool;
import io.catflap.protocol.NettyTransport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running aggregator: one port for KITTEN and ClickHouse HTTP, the read gate, per-table batching, the insert and
 * select pools and (optionally) the admin port. {@link #close()} shuts down gracefully: stop accepting, finish
 * reading requests in flight, flush every batch, answer every waiting request, close — within the grace period.
 */
public final class Aggregator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Aggregator.class);

    private final AggregatorConfig config;
    private final TlsContext listenTls;
    private final TlsContext upstreamTls;
    private final PrometheusMeterRegistry registry;
    private final EventLoopGroup group;
    private final UpstreamPool insertPool;
    private final UpstreamInsert inserts;
    private final ActivePartsReader parts;
    private final SelectUpstream selects;
    private final Batcher batcher;
    private final ReadGate gate;
    private final Ingest ingest;
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AggregatorStatus status;
    private final Counter refused;
    private final Pipelines pipelines;
    private final AtomicBoolean closed = new AtomicBoolean();
    private Channel server;
    private AdminServer admin;

    private Aggregator(AggregatorConfig config, PrometheusMeterRegistry registry) {
        this.config = config;
        this.listenTls = listenTls(config);
        this.upstreamTls = upstreamTls(config);
        this.registry = registry;
        this.group = NettyTransport.CURRENT.group(0);
        this.insertPool = new UpstreamPool("insert", config.clickhouse(), upstreamTls, config.maxInserts(), group,
                registry);
        UpstreamExchange http = new UpstreamExchange(insertPool, config.clickhouse(), config.insertTimeoutMillis());
        ServerVersionProbe version = new ServerVersionProbe(http, config.user(), config.password());
        version.version();
        TrackedTables tracked = new TrackedTables(config.maxTrackedTables(), registry);
        this.inserts = new UpstreamInsert(http, version, new TableEngines(http, config.user(), config.password()),
                config.user(), config.password(), config.retryDeadlineMillis(), group, registry, tracked,
                new SplitBudget(config.maxSplitInserts(), System::nanoTime));
        BatchMemory memory = new BatchMemory(config.maxBatchMemory());
        this.parts = new ActivePartsReader(http, config.user(), config.password());
        parts.start(group.next());
        this.batcher = new Batcher(config.batchBytes(), config.flushIntervalMillis(), config.minFlushGapMillis(),
                parts, config.maxInserts(), ByteBufAllocator.DEFAULT, group.next(), memory, inserts,
                new TableLayouts(http, config.user(), config.password()), registry, tracked);
        // The one global stop: batch memory is shared, so when it is full no connection gets a read permit. A table
        // with too many sealed batches waiting stops only its own senders: each connection whose request went to
        // it is parked after that request (ReadGateHandler.parkIfCongested), and other tables go on. The table is
        // known only once a request was read (a KITTEN frame is decoded whole; an HTTP INSERT may name its table in
        // the body), so the request that finds its table congested still enters the batch, within this bound.
        this.gate = new ReadGate(config.maxReaders(), config.freeReadBudget(), memory::exhausted, registry);
        memory.onRelease(gate::pump);
        this.selects = new SelectUpstream(config.clickhouse(), upstreamTls, config.maxSelects(), group, registry,
                new QueryKiller(http, config.user(), config.password()));
        BadRequests bad = new BadRequests(registry);
        AccessPolicy access = new AccessPolicy(config.tokens(), config.user(), config.password());
        this.ingest = new Ingest(gate, batcher, inserts, bad, access, config.maxRequestBytes(),
                config.batchBytes(), () -> new SelectProxyHandler(selects),
                new Quarantine(config.quarantineMillis(), System::nanoTime, registry), registry);
        Gauge.builder("catflap.connections.open", connections, ChannelGroup::size)
                .description("Client connections open on the data port").register(registry);
        Gauge.builder("catflap.connections.answering", ingest.pipelineShare(), PipelineShare::answering)
                .description("Connections with requests whose answers were not written yet").register(registry);
        Gauge.builder("catflap.connections.pipeline_depth", ingest.pipelineShare(), PipelineShare::depth)
                .description("Requests one connection may have unanswered now: its fair share").register(registry);
        this.refused = Counter.builder("catflap.connections.refused")
                .description("Connections closed at once because max-connections were open").register(registry);
        Counter idleClosed = Counter.builder("catflap.connections.idle_closed")
                .description("Connections closed after the idle timeout without a request").register(registry);
        Counter unwritableClosed = Counter.builder("catflap.connections.unwritable_closed")
                .description("Connections closed because their answers stayed unread past the unwritable timeout")
                .register(registry);
        this.pipelines = new Pipelines(ingest, listenTls, config.readTimeoutMillis(), config.minReadRate(),
                new ReadDeadlineHandler.Timeouts(registry), config.unwritableTimeoutMillis(), unwritableClosed,
                config.idleTimeoutMillis(), idleClosed, config.garbageDelayMillis());
        this.status = new AggregatorStatus(config, batcher, gate, memory, connections, insertPool, selects);
    }

    private static TlsContext listenTls(AggregatorConfig c) {
        if (c.tlsCertificate() == null) {
            if (c.tlsClientCa() != null) {
                throw new IllegalArgumentException("a client CA needs TLS on the data port (a certificate and key)");
            }
            return null;
        }
        return TlsContext.server(c.tlsCertificate(), c.tlsKey(), c.tlsClientCa(), c.tlsClientAuth());
    }

    private static TlsContext upstreamTls(AggregatorConfig c) {
        if (!UpstreamPool.https(c.clickhouse())) {
            if (c.clickhouseCa() != null) {
                throw new IllegalArgumentException("a ClickHouse CA needs an https:// URL: " + c.clickhouse());
            }
            return null;
        }
        return TlsContext.client(c.clickhouseCa());
    }

    /** Starts an aggregator with a fresh registry. */
    public static Aggregator start(AggregatorConfig config) throws InterruptedException {
        return start(config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /** Starts an aggregator whose meters go to {@code registry} (also served on the admin port). */
    public static Aggregator start(AggregatorConfig config, PrometheusMeterRegistry registry)
            throws InterruptedException {
        Aggregator a = new Aggregator(config, registry);
        try {
            a.bind();
        } catch (RuntimeException | InterruptedException e) {
            a.close();
            throw e;
        }
        return a;
    }

    private void bind() throws InterruptedException {
        server = new ServerBootstrap()
                .group(group)
                .channel(NettyTransport.CURRENT.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // hosts that vanish without a FIN are found by the kernel even while a request waits for its ack
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(config.writeBufferBytes() / 2, config.writeBufferBytes()))
                .childAttr(DedupWindow.ATTRIBUTE, config.dedupWindowMillis() == 0 ? null
                        : new DedupWindow(Duration.ofMillis(config.dedupWindowMillis()), registry))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (connections.size() >= config.maxConnections()) {
                            refused.increment();
                            ch.close();
                            return;
                        }
                        connections.add(ch);
                        pipelines.connection(ch.pipeline());
                    }
                })
                .bind(config.listen()).sync().channel();
        if (config.admin() != null) {
            admin = AdminServer.start(config.admin(), group, registry, status, config.adminToken());
        }
        log.info("catflap aggregator listening on {}{} (admin {}), upstream {}", server.localAddress(),
                listenTls == null ? "" : " with TLS by " + SslContext.defaultServerProvider(),
                admin == null ? "off" : admin.port(), config.clickhouse());
    }

    /**
     * Reads the files it was given again (on SIGHUP): the tokens, the data port's certificate, key and client CA, and
     * the CA ClickHouse is checked against. Connections opened from now on get what was read; open connections keep
     * theirs, so none is dropped. A file that does not load is logged, and what it was to replace stays.
     */
    public void reload() {
        TokenFile tokens = config.tokens();
        if (tokens != null) {
            tokens.file().ifPresent(f -> reload("tokens from " + f, tokens::reload));
        }
        if (listenTls != null) {
            reload("the data port's TLS", listenTls::reload);   // its error names the files
        }
        if (upstreamTls != null) {
            reload("the TLS towards ClickHouse", upstreamTls::reload);
        }
    }

    private interface Reload {
        void run() throws IOException;
    }

    private static void reload(String what, Reload reload) {
        try {
            reload.run();
            log.info("reloaded {}", what);
        } catch (IOException | IllegalArgumentException e) {
            log.error("reloading {} failed, keeping what was loaded before: {}", what, e.getMessage());
        }
    }

    /** The data port (KITTEN and HTTP). */
    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** The admin port, or -1 without an admin server. */
    public int adminPort() {
        return admin == null ? -1 : admin.port();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Stops gracefully within the configured grace period; see the class comment. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.shutdownGraceMillis());
        log.info("shutting down: {} requests unanswered, {} connections reading", ingest.unanswered().get(),
                gate.inUse());
        status.closing();
        parts.close();   // first: a read under way has the drain below to finish before the pool closes
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        gate.close();
        awaitUntil(() -> gate.inUse() == 0 && gate.freeHeld() == 0, deadline);
        inserts.capRetries(deadline);
        batcher.close();
        awaitUntil(() -> ingest.unanswered().get() == 0, deadline);
        if (ingest.unanswered().get() > 0) {
            log.warn("shutdown grace period over with {} requests unanswered; closing their connections",
                    ingest.unanswered().get());
        }
        connections.forEach(ch -> ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE));
        connections.newCloseFuture().awaitUninterruptibly(Math.max(0, remainingMillis(deadline)) + 1000);
        if (admin != null) {
            admin.close();
        }
        selects.close();
        insertPool.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        log.info("stopped");
    }

    private static long remainingMillis(long deadline) {
        return TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    }

    private static void awaitUntil(BooleanSupplier done, long deadline) {
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
