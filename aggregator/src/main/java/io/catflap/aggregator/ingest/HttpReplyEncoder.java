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
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * An {@link InsertReply} as ClickHouse answers an INSERT over HTTP: 200 with an empty body, or the status with the
 * error text.
 */
@ChannelHandler.Sharable
final class HttpReplyEncoder extends MessageToMessageEncoder<InsertReply> {
    static final HttpReplyEncoder INSTANCE = new HttpReplyEncoder();

    @Override
    protected void encode(ChannelHandlerContext ctx, InsertReply reply, List<Object> out) {
        InsertResult r = reply.result();
        ByteBuf content = r.ok() ? Unpooled.EMPTY_BUFFER
                : Unpooled.copiedBuffer(r.message() + "\n", StandardCharsets.UTF_8);
        FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(r.status()), content);
        resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=UTF-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        if (reply.close()) {
            resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        out.add(resp);
    }
}
