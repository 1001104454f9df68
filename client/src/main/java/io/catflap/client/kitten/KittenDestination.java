package io.catflap.client.kitten;

import io.netty.channel.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * One server a table's rows can go to, speaking KITTEN when it can and ClickHouse HTTP when it cannot.
 *
 * <p>Like kittenhouse: the first insert probes KITTEN (handshake); a peer that does not answer MEOW is used over HTTP
 * and probed again only after {@code recheckInterval} (kittenhouse: one hour), so a daemon pointed at ClickHouse
 * directly, or at an old proxy, keeps working and picks KITTEN up once an aggregator appears behind the address.
 */
public final class KittenDestination implements AutoCloseable {
    /** How rows currently reach this server. */
    public enum Mode { UNKNOWN, KITTEN, HTTP }

    private static final Logger LOG = LoggerFactory.getLogger(KittenDestination.class);

    private final String hostPort;
    private final KittenClient kitten;
    private final ClickHouseHttp http;
    private final long recheckNanos;
    private final LongSupplier nanoClock;
    private volatile Mode mode = Mode.UNKNOWN;
    private volatile long httpSince;

    public KittenDestination(String hostPort, EventLoopGroup group, Executor httpExecutor, KittenOptions options,
                             Duration recheckInterval) {
        this(hostPort, group, httpExecutor, options, recheckInterval, System::nanoTime);
    }

    KittenDestination(String hostPort, EventLoopGroup group, Executor httpExecutor, KittenOptions options,
                      Duration recheckInterval, LongSupplier nanoClock) {
        this.hostPort = hostPort;
        this.kitten = new KittenClient(group, socketAddress(hostPort), options);
        this.http = new ClickHouseHttp(hostPort, httpExecutor, options.responseTimeout(), options.bearerToken(),
                options.tls() == null ? null : options.tls().context());
        this.recheckNanos = recheckInterval.toNanos();
        this.nanoClock = nanoClock;
    }

    /** Parses {@code host:port} (IPv6 as {@code [::1]:port}). */
    public static InetSocketAddress socketAddress(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("expected host:port, got '" + hostPort + "'");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return InetSocketAddress.createUnresolved(host, Integer.parseInt(hostPort.substring(colon + 1)));
    }

    public String hostPort() {
        return hostPort;
    }

    public Mode mode() {
        return mode;
    }

    public ClickHouseHttp http() {
        return http;
    }

    /**
     * Inserts the rows; completes normally once the server committed them, with {@link InsertException} when it
     * answered an error, or with an I/O error when it could not be reached.
     */
    public CompletableFuture<Void> insert(String table, boolean rowBinary, byte[] body) {
        return insert(table, rowBinary, body, null);
    }

    /**
     * As {@link #insert(String, boolean, byte[])}, with an idempotency key for a server that supports it (see
     * {@link KittenClient#send(String, boolean, byte[], byte[])}). ClickHouse HTTP has no such thing: over the HTTP
     * fallback the key is dropped, and a resend may insert the rows twice.
     */
    public CompletableFuture<Void> insert(String table, boolean rowBinary, byte[] body, byte[] idempotencyKey) {
        if (mode == Mode.HTTP && nanoClock.getAsLong() - httpSince < recheckNanos) {
            return resolved(() -> http.insert(table, rowBinary, body));
        }
        return kitten.send(table, rowBinary, body, idempotencyKey).handle((frame, err) -> {
            if (err == null) {
                mode = Mode.KITTEN;
                return CompletableFuture.<Void>completedFuture(null);
            }
            Throwable cause = unwrap(err);
            if (cause instanceof KittenUnsupportedException) {
                if (mode != Mode.HTTP) {
                    LOG.info("{}: {}; using ClickHouse HTTP", hostPort, cause.getMessage());
                }
                mode = Mode.HTTP;
                httpSince = nanoClock.getAsLong();
                return http.insert(table, rowBinary, body);
            }
            return CompletableFuture.<Void>failedFuture(cause);
        }).thenCompose(f -> f);
    }

    /** kittenhouse's health check, {@code SELECT 42} over HTTP. */
    public CompletableFuture<Void> checkAlive() {
        return resolved(http::checkAlive);
    }

    /**
     * Runs an HTTP call once the name resolves. The JDK's HTTP client looks the name up on a thread of the pool that
     * runs its requests and waits for as long as the resolver does; a name that already resolved through the bounded,
     * one-at-a-time {@link HostLookup} is answered from the JDK's cache instead, so a dead resolver costs a failed
     * call, not a stuck thread per call.
     */
    private <T> CompletableFuture<T> resolved(Supplier<CompletableFuture<T>> call) {
        return kitten.resolve().thenCompose(address -> call.get());
    }

    /** Strips the CompletionException wrappers futures add. */
    public static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @Override
    public void close() {
        kitten.close();
    }

    @Override
    public String toString() {
        return hostPort + " (" + mode + ")";
    }
}
