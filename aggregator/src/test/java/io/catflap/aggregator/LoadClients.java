package io.catflap.aggregator;

import io.catflap.protocol.HandshakeReply;
import io.catflap.protocol.Kitten;
import io.catflap.protocol.RequestFrame;
import io.catflap.protocol.RequestFrameEncoder;
import io.catflap.protocol.ResponseFrame;
import io.catflap.protocol.ResponseFrameDecoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Many client connections in one JVM, each sending one request at a time and the next when the answer came (as a
 * kittenhouse client does), over KITTEN or ClickHouse HTTP. Every request and its outcome is recorded for checking
 * against ClickHouse.
 */
final class LoadClients implements AutoCloseable {
    /** What one connection sends next, or null to stop. */
    interface Script {
        Request next(int connection, int seq);
    }

    /**
     * @param table KITTEN table string, or for HTTP the INSERT head ({@code INSERT INTO t FORMAT X})
     * @param body  the rows
     */
    record Request(String table, String body) { }

    /** A request and its outcome: a status, or -1 when the connection closed before the answer. */
    record Outcome(int connection, int seq, Request request, int status, String message) { }

    /** How requests and answers look on the wire. */
    interface Wire {
        /** Sets up the codecs; a wire with a handshake emits a non-answer message when it is done. */
        void init(ChannelPipeline p);

        boolean handshake();

        Object encode(Request r);

        /** The answer as {status, message}, or null for other messages. */
        Outcome decode(Object msg, int connection, int seq, Request request);
    }

    /** kittenhouse's exact handshake, then request and response frames. */
    static final Wire KITTEN = new Wire() {
        @Override
        public void init(ChannelPipeline p) {
            p.addLast("meow", new MeowDecoder()).addLast(new RequestFrameEncoder());
        }

        @Override
        public boolean handshake() {
            return true;
        }

        @Override
        public Object encode(Request r) {
            return new RequestFrame(0, r.table(), Unpooled.copiedBuffer(r.body(), StandardCharsets.UTF_8));
        }

        @Override
        public Outcome decode(Object msg, int connection, int seq, Request request) {
            return msg instanceof ResponseFrame r ? new Outcome(connection, seq, request, r.status(), r.message())
                    : null;
        }
    };

    /** HTTP/1.1 keep-alive: {@code POST /?query=<head>} with the rows as body. */
    static final Wire HTTP = new Wire() {
        @Override
        public void init(ChannelPipeline p) {
            p.addLast(new HttpClientCodec()).addLast(new HttpObjectAggregator(1 << 20));
        }

        @Override
        public boolean handshake() {
            return false;
        }

        @Override
        public Object encode(Request r) {
            ByteBuf body = Unpooled.copiedBuffer(r.body(), StandardCharsets.UTF_8);
            FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                    "/?query=" + URLEncoder.encode(r.table(), StandardCharsets.UTF_8), body);
            req.headers().set(HttpHeaderNames.HOST, "127.0.0.1")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            return req;
        }

        @Override
        public Outcome decode(Object msg, int connection, int seq, Request request) {
            return msg instanceof FullHttpResponse r ? new Outcome(connection, seq, request, r.status().code(),
                    r.content().toString(StandardCharsets.UTF_8)) : null;
        }
    };

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final Wire wire;
    final Queue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    final AtomicInteger open = new AtomicInteger();
    final AtomicInteger finished = new AtomicInteger();
    private final List<Channel> channels = new CopyOnWriteArrayList<>();

    LoadClients(Wire wire) {
        this.wire = wire;
    }

    /** Opens {@code n} connections to {@code port}, each running {@code script} until it returns null. */
    void start(int port, int n, Script script) throws InterruptedException {
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true);
        for (int i = 0; i < n; i++) {
            int id = i;
            b.handler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    wire.init(ch.pipeline());
                    ch.pipeline().addLast(new Connection(id, script));
                }
            });
            channels.add(b.connect("127.0.0.1", port).sync().channel());
        }
    }

    /** Waits until every connection finished its script or closed. */
    boolean awaitFinished(int n, long timeoutMillis) throws InterruptedException {
        return await(() -> finished.get() >= n, timeoutMillis);
    }

    static boolean await(BooleanSupplier done, long timeoutMillis) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    List<Channel> channels() {
        return channels;
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Sends kittenhouse's exact handshake, waits for MEOW, then switches to response frames. */
    private static final class MeowDecoder extends ByteToMessageDecoder {
        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            ctx.writeAndFlush(Unpooled.wrappedBuffer("KITTEN / HTTP/1.1\n\n".getBytes(StandardCharsets.US_ASCII)));
            super.channelActive(ctx);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            HandshakeReply.Result r = HandshakeReply.decode(in, 4096);
            if (r == null) {
                return;
            }
            if (!r.meow()) {
                throw new IllegalStateException("no MEOW: " + r);
            }
            ctx.pipeline().addAfter(ctx.name(), "frames", new ResponseFrameDecoder(Kitten.MAX_RESPONSE_MESSAGE_BYTES));
            ctx.pipeline().remove(this);
            out.add(r);
        }
    }

    private final class Connection extends SimpleChannelInboundHandler<Object> {
        private final int id;
        private final Script script;
        private int seq;
        private Request inFlight;
        private boolean done;

        Connection(int id, Script script) {
            this.id = id;
            this.script = script;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            open.incrementAndGet();
            if (!wire.handshake()) {
                sendNext(ctx);
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            Outcome o = wire.decode(msg, id, seq, inFlight);
            if (o != null) {
                outcomes.add(o);
                inFlight = null;
                seq++;
            }
            sendNext(ctx);
        }

        private void sendNext(ChannelHandlerContext ctx) {
            Request next = script.next(id, seq);
            if (next == null) {
                finish();
                return;
            }
            inFlight = next;
            ctx.writeAndFlush(wire.encode(next));
        }

        private void finish() {
            if (!done) {
                done = true;
                finished.incrementAndGet();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            open.decrementAndGet();
            if (inFlight != null) {
                outcomes.add(new Outcome(id, seq, inFlight, -1, "connection closed"));
            }
            finish();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
