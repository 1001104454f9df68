package io.catflap.aggregator.ingest;

import io.catflap.protocol.Handshake;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Decides from the first bytes what a connection speaks: {@code "KITTEN "} starts a KITTEN handshake, an HTTP
 * method token and a space start an HTTP request. Replaces itself with the matching handlers ({@link Pipelines})
 * and hands them the bytes read so far.
 *
 * <p>Anything else is garbage: random bytes, a TLS hello on a plaintext port, a host stuck in a loop. It is refused
 * here, before any protocol's handlers are built, and answered only after {@link Pipelines#garbageDelayMillis()},
 * with the connection not read meanwhile: a sender that reconnects whenever it is refused then costs one
 * connection per delay instead of a connection, a pipeline and a decoder error every few milliseconds.
 */
public final class ProtocolSniffer extends ByteToMessageDecoder {
    private static final byte[] KITTEN = {'K', 'I', 'T', 'T', 'E', 'N', ' '};
    /** Longer than any method (RFC 9110 and WebDAV: {@code MKCALENDAR}, {@code UPDATEREDIRECTREF} is 17). */
    private static final int MAX_METHOD_LENGTH = 24;
    /** RFC 9110 {@code tchar}s besides letters and digits. */
    private static final String TOKEN_SYMBOLS = "!#$%&'*+-.^_`|~";

    /** Empty lines a request may follow: a client's stray CRLF after its previous request, twice over. */
    private static final int MAX_EMPTY_LINE_BYTES = 8;

    private final Pipelines pipelines;
    private int emptyLineBytes;

    ProtocolSniffer(Pipelines pipelines) {
        this.pipelines = pipelines;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        // RFC 9112 2.2: empty lines before a request line are ignored; a few, not a stream of them.
        while (in.isReadable() && (in.getByte(in.readerIndex()) == '\r' || in.getByte(in.readerIndex()) == '\n')) {
            in.skipBytes(1);
            if (++emptyLineBytes > MAX_EMPTY_LINE_BYTES) {
                refuse(ctx, in);
                return;
            }
        }
        int n = Math.min(in.readableBytes(), KITTEN.length);
        boolean kittenSoFar = true;
        for (int i = 0; i < n && kittenSoFar; i++) {
            kittenSoFar = in.getByte(in.readerIndex() + i) == KITTEN[i];
        }
        if (kittenSoFar) {
            if (Handshake.startsLikeKitten(in)) {
                pipelines.kittenHandshake(ctx.pipeline(), ctx.name());
            }
            return;
        }
        if (!startsLikeMethod(in)) {
            refuse(ctx, in);
        } else {   // a method, or the start of one: the HTTP codec reads the rest, and times out a stalled head
            pipelines.http(ctx.pipeline(), ctx.name());
        }
    }

    /** Whether {@code in} starts with an HTTP method token and a space, or with what can still become one. */
    private static boolean startsLikeMethod(ByteBuf in) {
        int end = Math.min(in.writerIndex(), in.readerIndex() + MAX_METHOD_LENGTH + 1);
        for (int i = in.readerIndex(); i < end; i++) {
            byte b = in.getByte(i);
            if (b == ' ') {
                return i > in.readerIndex();
            }
            if (!isTokenChar(b)) {
                return false;
            }
        }
        return end - in.readerIndex() <= MAX_METHOD_LENGTH;
    }

    private static boolean isTokenChar(byte b) {
        return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
                || b > ' ' && b < 0x7f && TOKEN_SYMBOLS.indexOf(b) >= 0;
    }

    /** Stops reading, gives back what the read gate lent for these bytes, and leaves the answer to a refusal. */
    private void refuse(ChannelHandlerContext ctx, ByteBuf in) {
        pipelines.ingest().bad().count("not_a_request");
        String first = ByteBufUtil.hexDump(in, in.readerIndex(), Math.min(16, in.readableBytes()));
        in.skipBytes(in.readableBytes());
        ctx.channel().config().setAutoRead(false);
        ReadGateHandler.requestRead(ctx);
        ctx.pipeline().replace(this, "refused", new DelayedRefusal(first, pipelines.garbageDelayMillis()));
    }

    /**
     * In place of the sniffer on a refused connection: reads nothing more, and after the delay writes HTTP's 400
     * (whoever sends something that is not KITTEN is most likely an HTTP client gone wrong) and closes.
     */
    private static final class DelayedRefusal extends ChannelInboundHandlerAdapter {
        private final String firstBytes;
        private final long delayMillis;
        private ScheduledFuture<?> answer;

        DelayedRefusal(String firstBytes, long delayMillis) {
            this.firstBytes = firstBytes;
            this.delayMillis = delayMillis;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            answer = ctx.executor().schedule(() -> answer(ctx), delayMillis, TimeUnit.MILLISECONDS);
        }

        private void answer(ChannelHandlerContext ctx) {
            String message = "Not a request: a connection starts with a KITTEN handshake or an HTTP request line, "
                    + "this one with the bytes " + firstBytes + "\n";
            ByteBuf bytes = Unpooled.copiedBuffer("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; "
                    + "charset=UTF-8\r\nContent-Length: " + message.length() + "\r\nConnection: close\r\n\r\n"
                    + message, StandardCharsets.US_ASCII);
            ctx.writeAndFlush(bytes).addListener(f -> LingeringClose.close(ctx.channel()));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);   // read before auto-read went off, or the sender's end of stream
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            answer.cancel(false);
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Before the first bytes said what the connection speaks, a failing connection is just closed. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
