package io.catflap.client.kitten;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Resolves one destination's host name before each connect, on a lookup thread — never on an event loop, never under
 * a caller's lock. The JDK's resolver blocks for as long as the system resolver takes (seconds per attempt towards
 * an unreachable name server, unbounded towards a stuck one); done where Netty's default resolver does it, on the
 * channel's event loop, that stalls every other channel of the loop, the local API included, and a graceful shutdown
 * waits behind it.
 *
 * <p>At most one lookup per destination runs at a time: a connect attempt while one is running waits for the same
 * lookup, so a resolver that never answers costs one blocked thread per destination, not one per attempt. Each caller
 * waits at most {@code timeout} and then fails with {@link UnknownHostException}; the lookup itself cannot be
 * interrupted and is left to finish. Answers are cached by the JDK ({@code networkaddress.cache.ttl}), so a resolved
 * name costs nothing on the next connect and a changed DNS record is still picked up.
 */
final class HostLookup {
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** Daemon threads, so a lookup that never returns holds up neither a shutdown nor the JVM's exit. */
    private static final ExecutorService LOOKUPS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "catflap-dns-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    private final InetSocketAddress address;
    private final Duration timeout;
    private CompletableFuture<InetSocketAddress> running;   // guarded by this: the lookup in progress, or the last one

    /** @param address unresolved (looked up on each {@link #resolve}) or resolved (used as it is) */
    HostLookup(InetSocketAddress address, Duration timeout) {
        this.address = address;
        this.timeout = timeout;
    }

    /** The address to connect to; fails with {@link UnknownHostException} when it does not resolve within the timeout. */
    CompletableFuture<InetSocketAddress> resolve() {
        if (!address.isUnresolved()) {
            return CompletableFuture.completedFuture(address);
        }
        CompletableFuture<InetSocketAddress> lookup;
        synchronized (this) {
            if (running == null || running.isDone()) {
                running = CompletableFuture.supplyAsync(this::lookup, LOOKUPS);
            }
            lookup = running;
        }
        return lookup.copy().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .exceptionallyCompose(err -> CompletableFuture.failedFuture(cause(err)));
    }

    private InetSocketAddress lookup() {
        try {
            return new InetSocketAddress(InetAddress.getByName(address.getHostString()), address.getPort());
        } catch (UnknownHostException e) {
            throw new CompletionException(e);
        }
    }

    private Throwable cause(Throwable err) {
        Throwable cause = KittenDestination.unwrap(err);
        if (cause instanceof TimeoutException) {
            return new UnknownHostException(address.getHostString() + ": no answer from the resolver within "
                    + timeout.toMillis() + " ms");
        }
        return cause;
    }
}
