package io.catflap.aggregator.ingest;

import io.catflap.protocol.ResponseFrame;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/** An {@link InsertReply} as a KITTEN response frame: ClickHouse's status and error text. */
@ChannelHandler.Sharable
final class KittenReplyEncoder extends MessageToMessageEncoder<InsertReply> {
    static final KittenReplyEncoder INSTANCE = new KittenReplyEncoder();

    @Override
    protected void encode(ChannelHandlerContext ctx, InsertReply reply, List<Object> out) {
        out.add(new ResponseFrame(reply.result().status(), reply.result().message()));
    }
}
