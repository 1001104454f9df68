package io.catflap.loadtest;

import io.catflap.protocol.Handshake;
import io.catflap.protocol.NettyTransport;
import io.catflap.protocol.RequestFrame;
import io.catflap.protocol.RequestFrameEncoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Broken and hostile connections run beside the good senders ({@code --hostile stall:500,garbage:200}), so that a
 * report can show what they cost the good ones. Each kind misbehaves in one way a careless or hostile host does; a
 * connection the target closes comes back after a short pause until the run ends, as a real attacker (or a host
 * stuck in a retry loop) would. Only the target's own address is connected to.
 */
final class HostileSenders implements AutoCloseable {
    /** One way to misbehave. */
    enum Kind {
        /** Sends the first byte of a request, then nothing: a host that lost power mid-request. */
        STALL,
        /** Sends random bytes, 256 every 100 ms. */
        GARBAGE,
        /** Starts a KITTEN handshake and never ends it. */
        HANDSHAKE,
        /** Sends HTTP request headers at one byte a second and never ends them. */
        SLOWLORIS,
        /** Sends HTTP headers announcing a 1 MB INSERT body, then the body at ten bytes a second. */
        SLOWBODY,
        /** Writes insert requests back to back and never reads an answer. */
        NOREAD;

        String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How many connections of which kind. */
    record Spec(Map<Kind, Integer> counts) {
        /** Parses {@code kind:count[,kind:count...]}, e.g. {@code stall:500,garbage:200}. */
        static Spec parse(String text) {
            Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
            for (String part : text.split(",")) {
                String[] kv = part.trim().split(":");
                Kind kind = null;
                for (Kind k : Kind.values()) {
                    if (kv.length == 2 && k.cliName().equals(kv[0])) {
                        kind = k;
                    }
                }
                if (kind == null) {
                    throw new IllegalArgumentException("--hostile takes KIND:COUNT pairs with KIND one of "
                            + "stall, garbage, handshake, slowloris, slowbody, noread: " + part);
                }
                int n = Integer.parseInt(kv[1]);
                if (n < 0) {
                    throw new IllegalArgumentException("--hostile count must be >= 0: " + part);
                }
                counts.merge(kind, n, Integer::sum);
            }
            return new Spec(counts);
        }

        int total() {
            return counts.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    private static final long RECONNECT_DELAY_MILLIS = 100;
    /**
     * A small socket send buffer (Linux would grow it to 4 MiB): a {@link Kind#NOREAD} connection then stops
     * writing once the target holds its requests unread, instead of filling megabytes of kernel buffer. The target
     * sees the same — requests it does not read — but the harness, which shares the machine with it, does not spend
     * the CPU that a real attacker spends on its own machine.
     */
    private static final int SEND_BUFFER_BYTES = 64 << 10;
    private static final long TICK_MILLIS = 100;

    private final Target target;
    private final Workload workload;
    private final String tag;
    private final EventLoopGroup group = NettyTransport.CURRENT.group(1);
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Map<Kind, LongAdder> connected = counters();
    private final Map<Kind, LongAdder> closedByTarget = counters();
    private final Map<Kind, LongAdder> bytesSent = counters();
    private volatile boolean stopping;

    /** @param tag run tag of the rows that {@link Kind#NOREAD} connections insert (not the good senders' tag) */
    HostileSenders(Target target, Workload workload, String tag) {
        requireSupported(target);
        this.target = target;
        this.workload = workload;
        this.tag = tag;
    }

    /** Refuses a target that hostile connections cannot be aimed at. */
    static void requireSupported(Target target) {
        if (target.kind() == Target.Kind.LOCAL) {
            throw new IllegalArgumentException("--hostile is for kitten:// and http:// targets");
        }
    }

    private static Map<Kind, LongAdder> counters() {
        Map<Kind, LongAdder> m = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            m.put(k, new LongAdder());
        }
        return m;
    }

    /** Opens every connection of {@code spec}; waits up to {@code settleMillis} until they are all connected. */
    void start(Spec spec, long settleMillis) throws InterruptedException {
        spec.counts().forEach((kind, n) -> {
            for (int i = 0; i < n; i++) {
                connect(kind);
            }
        });
        long deadline = System.nanoTime() + settleMillis * 1_000_000;
        while (connected.values().stream().mapToLong(LongAdder::sum).sum() < spec.total()
                && System.nanoTime() - deadline < 0) {
            Thread.sleep(50);
        }
    }

    private void connect(Kind kind) {
        if (stopping) {
            return;
        }
        new Bootstrap().group(group).channel(NettyTransport.CURRENT.socketChannel()).remoteAddress(target.address())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .option(ChannelOption.SO_SNDBUF, SEND_BUFFER_BYTES)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (kind == Kind.NOREAD && target.kind() == Target.Kind.KITTEN) {
                            ch.pipeline().addLast(new RequestFrameEncoder());
                        }
                        ch.pipeline().addLast(new Misbehaviour(kind));
                    }
                })
                .connect().addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        channels.add(f.channel());
                    } else {
                        reconnectLater(kind);
                    }
                });
    }

    private void reconnectLater(Kind kind) {
        if (!stopping) {
            group.schedule(() -> connect(kind), RECONNECT_DELAY_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** The figures per kind: connections made, closed by the target, bytes sent. */
    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Kind k : Kind.values()) {
            if (connected.get(k).sum() > 0) {
                m.put(k.cliName(), Map.of("connections", connected.get(k).sum(),
                        "closed_by_target", closedByTarget.get(k).sum(), "bytes_sent", bytesSent.get(k).sum()));
            }
        }
        return m;
    }

    /** One text line per kind. */
    List<String> lines() {
        List<String> lines = new ArrayList<>();
        for (Kind k : Kind.values()) {
            if (connected.get(k).sum() > 0) {
                lines.add(RunReport.fmt("%-9s %,7d connections, %,7d closed by target, %,12d bytes sent", k.cliName(),
                        connected.get(k).sum(), closedByTarget.get(k).sum(), bytesSent.get(k).sum()));
            }
        }
        return lines;
    }

    @Override
    public void close() {
        stopping = true;
        channels.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    /** The behaviour of one hostile connection; anything the target sends back is read and dropped. */
    private final class Misbehaviour extends ChannelInboundHandlerAdapter {
        private final Kind kind;
        private Future<?> ticker;
        private int trickled;

        Misbehaviour(Kind kind) {
            this.kind = kind;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            connected.get(kind).increment();
            switch (kind) {
                case STALL -> send(ctx, target.kind() == Target.Kind.KITTEN ? "K" : "P");
                case HANDSHAKE -> send(ctx, "KITTEN / HTTP/1.1\n");
                case SLOWLORIS -> {
                    send(ctx, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-");
                    tick(ctx, 1000, () -> send(ctx, "a"));
                }
                case SLOWBODY -> {
                    send(ctx, "POST /?query=" + URLEncoder.encode(workload.insertSql(0), StandardCharsets.UTF_8)
                            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n");
                    tick(ctx, TICK_MILLIS, () -> send(ctx, trickled++ == 0 ? "(" : "x"));
                }
                case GARBAGE -> tick(ctx, TICK_MILLIS, () -> {
                    byte[] junk = new byte[256];
                    ThreadLocalRandom.current().nextBytes(junk);
                    junk[0] = 'X';   // not the start of a KITTEN handshake
                    send(ctx, Unpooled.wrappedBuffer(junk));
                });
                case NOREAD -> {
                    ctx.channel().config().setAutoRead(false);
                    if (target.kind() == Target.Kind.KITTEN) {
                        send(ctx, new String(Handshake.encode(null), StandardCharsets.US_ASCII));
                    }
                    flood(ctx);
                }
            }
        }

        /** Writes inserts while the socket takes them; resumes when it drains. */
        private void flood(ChannelHandlerContext ctx) {
            while (ctx.channel().isWritable() && !stopping) {
                if (target.kind() == Target.Kind.KITTEN) {
                    ByteBuf body = Unpooled.copiedBuffer(row(), StandardCharsets.US_ASCII);
                    bytesSent.get(kind).add(body.readableBytes());
                    ctx.write(new RequestFrame(0, workload.tableWithColumns(0), body));
                } else {
                    String body = row();
                    ByteBuf request = Unpooled.copiedBuffer("POST /?query="
                            + URLEncoder.encode(workload.insertSql(0), StandardCharsets.UTF_8)
                            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + body.length() + "\r\n\r\n" + body,
                            StandardCharsets.US_ASCII);
                    bytesSent.get(kind).add(request.readableBytes());
                    ctx.write(request);
                }
            }
            ctx.flush();
        }

        private String row() {
            return "('" + tag + "',0,0,0,'noread')";
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (kind == Kind.NOREAD && ctx.channel().isWritable()) {
                flood(ctx);
            }
        }

        private void tick(ChannelHandlerContext ctx, long periodMillis, Runnable step) {
            ticker = ctx.executor().scheduleAtFixedRate(step, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
        }

        private void send(ChannelHandlerContext ctx, String text) {
            send(ctx, Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
        }

        private void send(ChannelHandlerContext ctx, ByteBuf bytes) {
            bytesSent.get(kind).add(bytes.readableBytes());
            ctx.writeAndFlush(bytes);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (ticker != null) {
                ticker.cancel(false);
            }
            if (!stopping) {
                closedByTarget.get(kind).increment();
                reconnectLater(kind);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
