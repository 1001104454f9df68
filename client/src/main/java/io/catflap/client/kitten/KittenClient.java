package io.catflap.client.kitten;

import io.catflap.protocol.FrameCodec;
import io.catflap.protocol.Kitten;
import io.catflap.protocol.Lz4Body;
import io.catflap.protocol.NettyTransport;
import io.catflap.protocol.ResponseFrame;
import io.catflap.protocol.ResponseFrameDecoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.AttributeKey;

import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A KITTEN/MEOW client for one aggregator: {@link #send} a table's VALUES or RowBinary rows, get a future that
 * completes when the aggregator answers — with the {@link ResponseFrame} on 200 (the rows are committed in
 * ClickHouse), exceptionally with an {@link InsertException} on any other status, or with an I/O error when the
 * connection fails before the answer (the rows may or may not be committed: retrying is at-least-once, unless the
 * request carries an idempotency key that the server honours, see {@link #send(String, boolean, byte[], byte[])}).
 *
 * <p><b>One pipelined connection.</b> Requests are written back to back on a single long-lived connection without
 * waiting for earlier answers; the protocol answers in request order, so a FIFO of futures matches answers to
 * requests. One connection per destination is what kittenhouse's client keeps, but kittenhouse sends one request and
 * blocks for its answer; pipelining removes that round trip per batch while keeping the aggregator's per-connection
 * cost (its read gate admits connections, not requests) at one slot per host. Applications that want more parallelism
 * towards one aggregator create several clients. Batches of one connection are committed independently, so a slow
 * batch does delay the answers queued behind it: callers should send large batches rather than many small ones.
 *
 * <p><b>Reconnects.</b> A lost connection fails every request in flight on it; the next {@code send} connects again
 * (name lookup, TCP connect + handshake; the lookup runs off the event loop, see {@link HostLookup}, so a DNS
 * outage costs at most the connect timeout per attempt and never stalls other channels). Requests are never resent by
 * the client itself: the caller decides, since only it knows whether a duplicate is acceptable. An idle connection is
 * closed after {@link KittenOptions#idleTimeout()}.
 *
 * <p>A peer that does not answer the handshake with MEOW makes {@code send} and {@link #connect} fail with
 * {@link KittenUnsupportedException}; {@link KittenDestination} then falls back to ClickHouse HTTP. With
 * {@link KittenOptions#tls()} the connection starts with a TLS handshake (the server's certificate checked for the
 * address's host name), whose failure is the connect's. Thread-safe.
 */
public final class KittenClient implements AutoCloseable {
    private final Bootstrap bootstrap;
    private final InetSocketAddress address;
    private final HostLookup lookup;
    private final KittenOptions options;
    private CompletableFuture<Channel> connection;   // guarded by this; null or failed/closed -> reconnect
    private final ArrayDeque<Queued> queued = new ArrayDeque<>();   // guarded by this: sends waiting for a connection
    private boolean closed;                          // guarded by this

    /** Whether the server of a connection advertised idempotency keys ({@link Kitten#FEATURE_DEDUP}). */
    private static final AttributeKey<Boolean> DEDUP = AttributeKey.valueOf(KittenClient.class, "dedup");

    /** A request to write; {@code key} is its idempotency key or null. */
    private record Queued(int flags, String table, byte[] key, byte[] payload, CompletableFuture<ResponseFrame> answer) {
    }

    public KittenClient(EventLoopGroup group, InetSocketAddress address, KittenOptions options) {
        this.address = address;
        this.lookup = new HostLookup(address, options.connectTimeout());
        this.options = options;
        this.bootstrap = new Bootstrap()
                .group(group)
                .channel(NettyTransport.of(group).socketChannel())
                // Names are resolved by HostLookup: Netty's default resolver would block the event loop on DNS.
                .resolver(NoopAddressResolverGroup.INSTANCE)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) options.connectTimeout().toMillis());
    }

    private ChannelInitializer<SocketChannel> pipeline(KittenHandshakeHandler handshake) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                if (options.tls() != null) {
                    ch.pipeline().addLast(options.tls().newHandler(ch.alloc(), address.getHostString(),
                            address.getPort()));
                }
                ch.pipeline()
                        .addLast(new IdleStateHandler(options.responseTimeout().toMillis(), 0,
                                options.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
                        .addLast(handshake)
                        .addLast(new KittenResponseHandler(options.responseTimeout().toNanos()));
            }
        };
    }

    public InetSocketAddress address() {
        return address;
    }

    /** The address the next connect goes to, looked up as {@link HostLookup} does (bounded by the connect timeout). */
    CompletableFuture<InetSocketAddress> resolve() {
        return lookup.resolve();
    }

    /**
     * Connects and handshakes unless a live connection exists. The future fails with
     * {@link KittenUnsupportedException} when the peer does not speak KITTEN, with {@link InsertException} when it
     * refused the handshake (401: bad token), or with the connect error.
     */
    public synchronized CompletableFuture<Channel> connect() {
        if (closed) {
            return CompletableFuture.failedFuture(new ClosedChannelException());
        }
        CompletableFuture<Channel> current = connection;
        if (current != null && (!current.isDone() || isLive(current))) {
            return current;
        }
        CompletableFuture<Channel> next = new CompletableFuture<>();
        connection = next;
        next.whenComplete(this::sendQueued);
        lookup.resolve().whenComplete((resolved, err) -> {
            if (err != null) {
                next.completeExceptionally(err);
            } else {
                connect(resolved, next);
            }
        });
        return next;
    }

    private void connect(InetSocketAddress resolved, CompletableFuture<Channel> next) {
        KittenHandshakeHandler handshake = new KittenHandshakeHandler(options.bearerToken(), options.connectTimeout());
        ChannelFuture cf = bootstrap.clone().handler(pipeline(handshake)).connect(resolved);
        cf.addListener(f -> {
            if (!f.isSuccess()) {
                next.completeExceptionally(f.cause());
                return;
            }
            handshake.result().whenComplete((reply, err) -> {
                if (err == null) {
                    cf.channel().attr(DEDUP).set(reply.dedup());
                    next.complete(cf.channel());
                } else {
                    next.completeExceptionally(err);
                }
            });
        });
    }

    private static boolean isLive(CompletableFuture<Channel> done) {
        return !done.isCompletedExceptionally() && done.join().isActive();
    }

    /** Sends rows for {@code table} ({@code db.t(a,b,c)}, as the KITTEN frame carries it). Does not keep {@code body}. */
    public CompletableFuture<ResponseFrame> send(String table, boolean rowBinary, byte[] body) {
        return send(table, rowBinary, body, null);
    }

    /**
     * As {@link #send(String, boolean, byte[])}, with an idempotency key: sent (flag 0x04) only when the server
     * advertised {@code dedup}, which then answers a resend of the same key — on any of its connections, within its
     * dedup window — without inserting the rows again. Towards any other server the key is left out, and a resend
     * may insert the rows twice.
     *
     * @param idempotencyKey {@value Kitten#IDEMPOTENCY_KEY_BYTES} bytes, or null
     */
    public CompletableFuture<ResponseFrame> send(String table, boolean rowBinary, byte[] body, byte[] idempotencyKey) {
        if (idempotencyKey != null && idempotencyKey.length != Kitten.IDEMPOTENCY_KEY_BYTES) {
            throw new IllegalArgumentException("an idempotency key is " + Kitten.IDEMPOTENCY_KEY_BYTES + " bytes");
        }
        int flags = rowBinary ? Kitten.FLAG_ROW_BINARY : 0;
        byte[] payload = body;
        if (options.lz4()) {
            flags |= Kitten.FLAG_LZ4;
            payload = Lz4Body.compress(body, 0, body.length);
        }
        Queued request = new Queued(flags, table, idempotencyKey, payload, new CompletableFuture<>());
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new ClosedChannelException());
            }
            CompletableFuture<Channel> c = connect();
            if (!queued.isEmpty() || !c.isDone()) {
                // Callbacks of a future run in no particular order: keep the sends' order ourselves. The queue is
                // drained by sendQueued, which runs (under this lock) once the connection attempt completes.
                queued.add(request);
            } else if (c.isCompletedExceptionally()) {
                c.whenComplete((ch, err) -> request.answer.completeExceptionally(err));
            } else {
                Channel ch = c.join();
                ch.eventLoop().execute(() -> write(ch, request));
            }
        }
        return request.answer;
    }

    private synchronized void sendQueued(Channel ch, Throwable err) {
        Queued request;
        while ((request = queued.poll()) != null) {
            if (err != null) {
                request.answer.completeExceptionally(err);
            } else {
                Queued r = request;
                ch.eventLoop().execute(() -> write(ch, r));
            }
        }
    }

    /** Runs on the channel's event loop, so the FIFO order of futures is the order of frames on the wire. */
    private static void write(Channel ch, Queued request) {
        CompletableFuture<ResponseFrame> answer = request.answer;
        KittenResponseHandler responses = ch.pipeline().get(KittenResponseHandler.class);
        if (!ch.isActive() || responses == null) {
            answer.completeExceptionally(new ClosedChannelException());
            return;
        }
        byte[] key = Boolean.TRUE.equals(ch.attr(DEDUP).get()) ? request.key : null;
        int flags = key == null ? request.flags : request.flags | Kitten.FLAG_IDEMPOTENCY_KEY;
        ByteBuf out = ch.alloc().buffer(7 + request.table.length() * 3 + Kitten.IDEMPOTENCY_KEY_BYTES
                + request.payload.length);
        ByteBuf body = Unpooled.wrappedBuffer(request.payload);
        try {
            FrameCodec.encodeRequest(flags, request.table, key, body, out);
        } catch (RuntimeException e) {
            out.release();
            answer.completeExceptionally(e);
            return;
        } finally {
            body.release();
        }
        responses.expect(answer);
        ch.writeAndFlush(out).addListener(f -> {
            if (!f.isSuccess()) {
                ch.close();   // fails this and every later request of the connection in order
            }
        });
    }

    @Override
    public void close() {
        CompletableFuture<Channel> current;
        synchronized (this) {
            closed = true;
            current = connection;
        }
        if (current != null) {
            current.thenAccept(Channel::close);
        }
    }

    @Override
    public String toString() {
        return "KittenClient[" + address.getHostString() + ":" + address.getPort() + "]";
    }
}
