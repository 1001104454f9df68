package io.catflap.client.route;

import io.catflap.client.ClientMetrics;
import io.catflap.client.kitten.InsertException;
import io.catflap.client.kitten.KittenDestination;
import io.micrometer.core.instrument.Gauge;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Chooses a server for each batch from the live {@link RoutingConfig} and sends the batch there.
 *
 * <p>Weighted choice: among the healthy servers of the table's route, a server is picked with probability
 * weight / (sum of weights), so {@code =a*50 =b*100} sends about a third of the batches to a (servers given without a
 * weight count as equal). A server whose send fails with an I/O error (refused, reset, timed out — not an error answer,
 * which says the server is up) is taken out of every route, as kittenhouse does, and checked with {@code SELECT 42}
 * every {@code healthCheckInterval} (plus up to as much again of jitter, so many hosts do not probe in step) until it
 * answers (or a send to it succeeds); then it is put back. Destinations (and their connections) are kept across config reloads.
 */
public final class Router implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Router.class);

    private final Function<String, KittenDestination> destinations;
    private final ScheduledExecutorService timer;
    private final Duration healthCheckInterval;
    private final ClientMetrics metrics;
    private final Map<String, Target> targets = new ConcurrentHashMap<>();
    private volatile RoutingConfig config;

    /** A server and whether it is in rotation. */
    public static final class Target {
        private final KittenDestination destination;
        private volatile boolean healthy = true;

        Target(KittenDestination destination) {
            this.destination = destination;
        }

        public KittenDestination destination() {
            return destination;
        }

        public boolean healthy() {
            return healthy;
        }
    }

    public Router(RoutingConfig config, Function<String, KittenDestination> destinations, ScheduledExecutorService timer,
                  Duration healthCheckInterval, ClientMetrics metrics) {
        this.destinations = destinations;
        this.timer = timer;
        this.healthCheckInterval = healthCheckInterval;
        this.metrics = metrics;
        apply(config);
    }

    /** Switches to a new config; buffered rows are untouched, batches in flight finish on their old server. */
    public void apply(RoutingConfig next) {
        next.allServers().forEach(this::target);
        this.config = next;
        LOG.info("routing config {} active: default {}, {} table routes", next.hash(), next.defaultRoute(), next.tables().size());
    }

    public RoutingConfig config() {
        return config;
    }

    /** Every server known so far. */
    public List<Target> targets() {
        return new ArrayList<>(targets.values());
    }

    /**
     * Sends rows to a server of the table's route. When every server of the route is out, one is tried anyway
     * (kittenhouse would refuse until a health check passes, 30-60 s, even after a one-second blip of a
     * single-server route): the send itself is then the health check, and a success puts the server back.
     */
    public CompletableFuture<Void> insert(String table, boolean rowBinary, byte[] body) {
        return insert(table, rowBinary, body, null);
    }

    /**
     * As {@link #insert(String, boolean, byte[])} with an idempotency key (see {@link KittenDestination#insert(String,
     * boolean, byte[], byte[])}); it prevents a duplicate only when the resend reaches the same server.
     */
    public CompletableFuture<Void> insert(String table, boolean rowBinary, byte[] body, byte[] idempotencyKey) {
        List<RoutingConfig.Server> servers = config.serversFor(table);
        Target chosen = choose(servers);
        Target target = chosen != null ? chosen : choose(servers, true);
        String hostPort = target.destination.hostPort();
        metrics.sent(hostPort);
        return target.destination.insert(table, rowBinary, body, idempotencyKey).whenComplete((v, err) -> {
            if (err != null) {
                failed(target, KittenDestination.unwrap(err));
                return;
            }
            metrics.acked(hostPort);
            if (!target.healthy) {
                LOG.info("server {} is back alive", hostPort);
                target.healthy = true;
            }
        });
    }

    /** A healthy server of the default route, for read queries; null when none is. */
    public Target chooseForQuery() {
        return choose(config.defaultRoute());
    }

    /** A healthy server, weighted; null when none is. */
    Target choose(List<RoutingConfig.Server> servers) {
        return choose(servers, false);
    }

    private Target choose(List<RoutingConfig.Server> servers, boolean evenUnhealthy) {
        long total = 0;
        int healthyCount = 0;
        for (RoutingConfig.Server s : servers) {
            if (evenUnhealthy || target(s.hostPort()).healthy) {
                total += s.weight();
                healthyCount++;
            }
        }
        if (healthyCount == 0) {
            return null;
        }
        // Weights all zero (single servers) mean equal shares.
        long pick = ThreadLocalRandom.current().nextLong(total == 0 ? healthyCount : total);
        for (RoutingConfig.Server s : servers) {
            Target t = target(s.hostPort());
            if ((evenUnhealthy || t.healthy) && (pick -= (total == 0 ? 1 : s.weight())) < 0) {
                return t;
            }
        }
        throw new IllegalStateException("unreachable");
    }

    private Target target(String hostPort) {
        return targets.computeIfAbsent(hostPort, hp -> {
            Target t = new Target(destinations.apply(hp));
            Gauge.builder("catflap.client.destination.up", t, x -> x.healthy ? 1 : 0)
                    .description("1 while the destination is in rotation, 0 while health checks keep it out")
                    .tag("destination", hp).register(metrics.registry());
            return t;
        });
    }

    private void failed(Target target, Throwable cause) {
        String hostPort = target.destination.hostPort();
        if (cause instanceof InsertException e) {
            metrics.sendError(hostPort, "status_" + e.status());
            return;
        }
        metrics.sendError(hostPort, "io");
        synchronized (target) {
            if (!target.healthy) {
                return;
            }
            target.healthy = false;
        }
        LOG.warn("temporarily disabled {}: {}", hostPort, cause.toString());
        scheduleCheck(target);
    }

    private void scheduleCheck(Target target) {
        long base = healthCheckInterval.toMillis();
        long delay = base + ThreadLocalRandom.current().nextLong(Math.max(1, base));
        timer.schedule(() -> check(target), delay, TimeUnit.MILLISECONDS);
    }

    private void check(Target target) {
        if (target.healthy) {
            return;   // a send got through meanwhile
        }
        target.destination.checkAlive().whenComplete((v, err) -> {
            if (err == null) {
                LOG.info("server {} is back alive", target.destination.hostPort());
                target.healthy = true;
            } else {
                LOG.info("health check failed for {}: {}", target.destination.hostPort(),
                        KittenDestination.unwrap(err).toString());
                if (!timer.isShutdown()) {
                    scheduleCheck(target);
                }
            }
        });
    }

    @Override
    public void close() {
        targets.values().forEach(t -> t.destination.close());
    }
}
