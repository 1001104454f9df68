package io.catflap.loadtest;

import io.catflap.protocol.Handshake;
import io.catflap.protocol.HandshakeReply;
import io.catflap.protocol.Kitten;
import io.catflap.protocol.Lz4Body;
import io.catflap.protocol.RequestFrame;
import io.catflap.protocol.RequestFrameDecoder;
import io.catflap.protocol.ResponseFrame;
import io.catflap.protocol.ResponseFrameEncoder;
import io.catflap.protocol.TableSpec;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * A KITTEN server for fault injection: MEOW to every handshake, then each frame (by arrival number) meets the
 * fate the test picks: written to the real ClickHouse and acked, acked and dropped (the failure the harness must
 * catch), or written and answered with an error (rows that land although the sender was told they did not).
 */
final class LossyKittenServer implements AutoCloseable {
    enum Fate { STORE_AND_ACK, DROP_AND_ACK, STORE_AND_FAIL }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final HttpClient http = HttpClient.newHttpClient();
    private final URI clickHouse;
    private final LongFunction<Fate> fate;
    private final AtomicLong frames = new AtomicLong();
    private final Channel server;

    LossyKittenServer(URI clickHouse, LongFunction<Fate> fate) throws InterruptedException {
        this.clickHouse = clickHouse;
        this.fate = fate;
        this.server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HandshakeStage(), new ResponseFrameEncoder(), new Frames());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    long frames() {
        return frames.get();
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    private static byte[] rows(RequestFrame frame) {
        if (!frame.lz4()) {
            return ByteBufUtil.getBytes(frame.content());
        }
        ByteBuf raw = Lz4Body.decompress(frame.content(), Kitten.DEFAULT_MAX_BODY_BYTES, ByteBufAllocator.DEFAULT);
        try {
            return ByteBufUtil.getBytes(raw);
        } finally {
            raw.release();
        }
    }

    /** Answers MEOW, then hands the connection to the frame decoder. */
    private static final class HandshakeStage extends ByteToMessageDecoder {
        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            if (Handshake.decode(in, Kitten.MAX_HANDSHAKE_BYTES) != null) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(HandshakeReply.meow()));
                ctx.pipeline().replace(this, "frames", new RequestFrameDecoder(Kitten.DEFAULT_MAX_BODY_BYTES));
            }
        }
    }

    private final class Frames extends SimpleChannelInboundHandler<RequestFrame> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, RequestFrame frame) {
            Fate f = fate.apply(frames.getAndIncrement());
            if (f == Fate.DROP_AND_ACK) {
                ctx.writeAndFlush(ResponseFrame.OK);
                return;
            }
            String sql = TableSpec.parse(frame.table()).insertInto() + " FORMAT " + (frame.rowBinary() ? "RowBinary" : "Values");
            HttpRequest insert = HttpRequest.newBuilder(clickHouse.resolve("/?query=" + HttpSession.urlEncode(sql)))
                    .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofByteArray(rows(frame))).build();
            http.sendAsync(insert, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) ->
                    ctx.writeAndFlush(error == null && response.statusCode() == 200
                            ? (f == Fate.STORE_AND_FAIL ? new ResponseFrame(500, "injected failure") : ResponseFrame.OK)
                            : new ResponseFrame(500, error != null ? error.toString() : response.body())));
        }
    }
}
