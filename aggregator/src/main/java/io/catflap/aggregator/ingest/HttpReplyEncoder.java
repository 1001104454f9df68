package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.InsertResult;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/**
 * An {@link InsertReply} as ClickHouse answers an INSERT over HTTP: 200 with an empty body, or the status with the
 * error text and a line feed, in ClickHouse's compressed framing when the request asked for {@code compress=1}
 * (as ClickHouse writes an error into its compressed output). {@code X-ClickHouse-Query-Id} names the request's
 * {@code query_id} and {@code X-ClickHouse-Exception-Code} ClickHouse's error code, as newer servers do; no
 * {@code X-ClickHouse-Summary}, which ClickHouse 18.16 does not send.
 */
@ChannelHandler.Sharable
final class HttpReplyEncoder extends MessageToMessageEncoder<InsertReply> {
    static final HttpReplyEncoder INSTANCE = new HttpReplyEncoder();
    static final String EXCEPTION_CODE = "X-ClickHouse-Exception-Code";
    static final String QUERY_ID = "X-ClickHouse-Query-Id";
    /**
     * The spelling of servers that name the code in {@link #EXCEPTION_CODE}: clients that see that header parse the
     * text as {@code Code: N. DB::Exception: ...} (client-v2 shows nothing else), so an error in 18.16's spelling,
     * {@code Code: N, e.displayText() = ...}, goes without it, as 18.16 sends it.
     */
    private static final Pattern CODE_HEADER_SPELLING = Pattern.compile("^Code: \\d+\\. ");

    @Override
    protected void encode(ChannelHandlerContext ctx, InsertReply reply, List<Object> out) {
        InsertResult r = reply.result();
        ByteBuf content = r.ok() ? Unpooled.EMPTY_BUFFER : text(ctx, r.message() + "\n", reply.form().compressed());
        FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(r.status()), content);
        HttpHeaders h = resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=UTF-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        if (reply.form().queryId() != null) {
            h.set(QUERY_ID, reply.form().queryId());
        }
        if (!r.ok() && r.code() >= 0 && CODE_HEADER_SPELLING.matcher(r.message()).find()) {
            h.setInt(EXCEPTION_CODE, r.code());
        }
        if (reply.close()) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        out.add(resp);
    }

    private static ByteBuf text(ChannelHandlerContext ctx, String text, boolean compressed) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return compressed ? CompressedBlocks.compress(ctx.alloc(), bytes) : Unpooled.wrappedBuffer(bytes);
    }
}
