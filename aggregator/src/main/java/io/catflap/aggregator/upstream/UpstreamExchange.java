package io.catflap.aggregator.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One POST to ClickHouse over a pooled connection and its answer, with the body of an error kept up to
 * {@link #MAX_ERROR_BYTES}. The body is either given whole ({@link #post}) or streamed chunk by chunk as it
 * arrives ({@link #open}). Reply futures never fail: a connection problem or timeout is a reply with status 0.
 *
 * <p>The timeout bounds how long an exchange may make no progress, not its age: it runs from the last time a piece
 * of the request went out on the socket or a piece of the answer came in, so that a large body streamed at the
 * sender's pace is not cut off while it flows, and a stalled sender, a stalled server or an answer that never
 * comes still ends the exchange.
 */
public final class UpstreamExchange {
    /** ClickHouse error texts are short; a stack trace beyond this is not worth forwarding. */
    static final int MAX_ERROR_BYTES = 8 << 10;
    private static final String HANDLER = "exchange";

    private final UpstreamPool pool;
    private final String hostHeader;
    private final long timeoutMillis;

    public UpstreamExchange(UpstreamPool pool, URI clickhouse, long timeoutMillis) {
        this.pool = pool;
        this.hostHeader = clickhouse.getHost() + (clickhouse.getPort() > 0 ? ":" + clickhouse.getPort() : "");
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * Sends {@code POST pathAndQuery} with {@code body} (released by this call) and Basic auth when {@code user} is
     * not null.
     */
    public Future<UpstreamReply> post(String pathAndQuery, String user, String password,
                                      Map<String, String> headers, ByteBuf body) {
        Promise<UpstreamReply> reply = ImmediateEventExecutor.INSTANCE.newPromise();
        DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, pathAndQuery,
                body);
        head(req.headers(), user, password, headers).setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        pool.acquire().addListener(f -> {
            if (!f.isSuccess()) {
                req.release();
                reply.trySuccess(unreachable(f.cause()));
                return;
            }
            new Exchange((Channel) f.getNow(), reply).write(req);
        });
        return reply;
    }

    /**
     * Starts {@code POST pathAndQuery} with a chunked body: completes once a connection is ours (or could not be
     * had, in which case the stream's reply is already done).
     */
    public Future<Stream> open(String pathAndQuery, String user, String password, Map<String, String> headers) {
        Promise<Stream> opened = ImmediateEventExecutor.INSTANCE.newPromise();
        Promise<UpstreamReply> reply = ImmediateEventExecutor.INSTANCE.newPromise();
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, pathAndQuery);
        head(req.headers(), user, password, headers).set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        pool.acquire().addListener(f -> {
            if (!f.isSuccess()) {
                opened.trySuccess(Stream.failed(unreachable(f.cause())));
                return;
            }
            Exchange ex = new Exchange((Channel) f.getNow(), reply);
            ex.write(req);
            opened.trySuccess(new Stream(ex, reply));
        });
        return opened;
    }

    private HttpHeaders head(HttpHeaders h, String user, String password, Map<String, String> extra) {
        h.set(HttpHeaderNames.HOST, hostHeader).set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        if (user != null) {
            String cred = user + ":" + (password == null ? "" : password);
            h.set(HttpHeaderNames.AUTHORIZATION,
                    "Basic " + Base64.getEncoder().encodeToString(cred.getBytes(StandardCharsets.UTF_8)));
        }
        extra.forEach(h::set);
        return h;
    }

    private static UpstreamReply unreachable(Throwable cause) {
        return UpstreamReply.failed("cannot connect to ClickHouse: " + cause);
    }

    /**
     * A request body on its way upstream. Methods may be called from any thread; chunks written after the reply
     * arrived (ClickHouse may answer an error early) or after {@link #abort} are released unsent.
     */
    public static final class Stream {
        private final Exchange exchange;
        private final Future<UpstreamReply> reply;

        private Stream(Exchange exchange, Future<UpstreamReply> reply) {
            this.exchange = exchange;
            this.reply = reply;
        }

        /** A stream that was never opened: its chunks are dropped and {@code reply} is its answer. */
        public static Stream failed(UpstreamReply reply) {
            return new Stream(null, ImmediateEventExecutor.INSTANCE.newSucceededFuture(reply));
        }

        /** Sends a chunk (released by this call). */
        public void write(ByteBuf chunk) {
            if (exchange == null || reply.isDone()) {
                chunk.release();
                return;
            }
            exchange.write(new DefaultHttpContent(chunk));
        }

        /** Ends the body; the reply follows. */
        public void end() {
            if (exchange != null && !reply.isDone()) {
                exchange.write(LastHttpContent.EMPTY_LAST_CONTENT);
            }
        }

        /** Gives up mid-body: the connection is closed, so ClickHouse drops the partial insert. */
        public void abort(String why) {
            if (exchange != null) {
                exchange.fail(why);
            }
        }

        /** Whether more chunks may be written now without piling up in memory. */
        public boolean writable() {
            return exchange == null || exchange.ch.isWritable();
        }

        /** Runs {@code r} (on the upstream's event loop) when the connection becomes writable again. */
        public void onWritable(Runnable r) {
            if (exchange != null) {
                exchange.onWritable = r;
            }
        }

        public Future<UpstreamReply> reply() {
            return reply;
        }
    }

    /** Collects one response, then gives the channel back to the pool. */
    private final class Exchange extends SimpleChannelInboundHandler<HttpObject> {
        private final Channel ch;
        private final Promise<UpstreamReply> reply;
        private final long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        private volatile long lastProgress = System.nanoTime();
        private volatile ScheduledFuture<?> timeout;
        private final StringBuilder text = new StringBuilder();
        private volatile Runnable onWritable = () -> { };
        private volatile boolean sentLast;
        /** The whole request is on the wire: from now on a failure leaves the outcome unknown. */
        private volatile boolean sentWhole;
        private int status;
        private boolean keepAlive;

        Exchange(Channel ch, Promise<UpstreamReply> reply) {
            this.ch = ch;
            this.reply = reply;
            this.timeout = ch.eventLoop().schedule(this::checkProgress, timeoutNanos, TimeUnit.NANOSECONDS);
            ch.pipeline().addLast(HANDLER, this);
        }

        /** Event loop: fails the exchange after {@link #timeoutNanos} without progress, else looks again then. */
        private void checkProgress() {
            long left = lastProgress + timeoutNanos - System.nanoTime();
            if (left <= 0) {
                fail("no progress with ClickHouse for " + timeoutMillis + " ms");
            } else if (!reply.isDone()) {
                timeout = ch.eventLoop().schedule(this::checkProgress, left, TimeUnit.NANOSECONDS);
            }
        }

        void write(HttpObject msg) {
            boolean last = msg instanceof LastHttpContent;
            if (last) {
                sentLast = true;
            }
            ch.writeAndFlush(msg).addListener(w -> {
                if (w.isSuccess()) {
                    lastProgress = System.nanoTime();
                    sentWhole |= last;
                } else {
                    fail("writing to ClickHouse failed: " + w.cause());
                }
            });
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            lastProgress = System.nanoTime();
            if (msg instanceof HttpResponse r) {
                status = r.status().code();
                keepAlive = HttpUtil.isKeepAlive(r);
            }
            if (msg instanceof HttpContent c && text.length() < MAX_ERROR_BYTES) {
                ByteBuf b = c.content();
                int n = Math.min(b.readableBytes(), MAX_ERROR_BYTES - text.length());
                text.append(b.toString(b.readerIndex(), n, StandardCharsets.UTF_8));
            }
            if (msg instanceof LastHttpContent) {
                finish(UpstreamReply.of(status, text.toString()), keepAlive && sentLast);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                onWritable.run();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail("ClickHouse closed the connection");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail("ClickHouse connection failed: " + cause);
        }

        void fail(String why) {
            if (ch.eventLoop().inEventLoop()) {
                finish(sentWhole ? UpstreamReply.unanswered(why) : UpstreamReply.failed(why), false);
            } else {
                ch.eventLoop().execute(() -> fail(why));
            }
        }

        /**
         * Gives the channel back: reused only when the response ended a request that was completely sent (an
         * early error answer to a streamed body leaves the connection mid-request).
         */
        private void finish(UpstreamReply r, boolean reuse) {
            if (reply.isDone()) {
                return;
            }
            timeout.cancel(false);
            if (ch.pipeline().get(HANDLER) == this) {
                ch.pipeline().remove(this);
            }
            if (!reuse) {
                ch.close();
            }
            pool.release(ch);
            reply.trySuccess(r);
        }
    }
}
