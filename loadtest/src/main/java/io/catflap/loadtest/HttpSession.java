package io.catflap.loadtest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * An active keep-alive HTTP connection. Against ClickHouse-compatible HTTP it sends
 * {@code POST /?query=INSERT ... FORMAT X}; against the client daemon's API {@code POST /?table=db.t(cols)}
 * ({@code &rowbinary=1} for RowBinary, {@code &persistent=1} for a persistent target). SELECTs are {@code GET /?query=...} for both.
 */
final class HttpSession extends RequestLoop {
    private final Target target;

    HttpSession(LoadRun run, SimulatedHost host, Target target) {
        super(run, host);
        this.target = target;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        super.channelActive(ctx);
        ready();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpResponse response)) {
            ReferenceCountUtil.release(msg);
            fail("unexpected message " + msg.getClass().getSimpleName());
            return;
        }
        try {
            int status = response.status().code();
            boolean keepAlive = HttpUtil.isKeepAlive(response);
            String error = status == 200 ? ""
                    : "HTTP " + status + " " + ErrorText.firstLine(response.content().toString(StandardCharsets.UTF_8));
            if (!keepAlive) {
                // Close first so the loop does not send the next request into a closing connection.
                fail("target closed the keep-alive connection");
            }
            answered(status == 200, error);
        } finally {
            response.release();
        }
    }

    @Override
    protected void writeInsert(ChannelHandlerContext ctx, int table, ByteBuf body) {
        Workload w = run.workload();
        String uri = target.kind() == Target.Kind.LOCAL
                ? "/?table=" + urlEncode(w.tableWithColumns(table))
                        + (w.rows().format() == RowFormat.ROWBINARY ? "&rowbinary=1" : "")
                        + (target.persistent() ? "&persistent=1" : "")
                : "/?query=" + urlEncode(w.insertSql(table));
        ctx.writeAndFlush(request(HttpMethod.POST, uri, body));
    }

    @Override
    protected void writeSelect(ChannelHandlerContext ctx, String sql) {
        ctx.writeAndFlush(request(HttpMethod.GET, "/?query=" + urlEncode(sql), Unpooled.EMPTY_BUFFER));
    }

    /** A URL-encoded query-string value. */
    static String urlEncode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private FullHttpRequest request(HttpMethod method, String uri, ByteBuf body) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri, body);
        request.headers().set(HttpHeaderNames.HOST, target.host() + ":" + target.port());
        HttpUtil.setContentLength(request, body.readableBytes());
        return request;
    }
}
