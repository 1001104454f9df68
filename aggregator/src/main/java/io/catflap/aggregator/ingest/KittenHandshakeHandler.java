package io.catflap.aggregator.ingest;

import io.catflap.protocol.Handshake;
import io.catflap.protocol.HandshakeReply;
import io.catflap.protocol.Kitten;
import io.catflap.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Answers a KITTEN handshake with MEOW (or the {@link AccessPolicy}'s refusal: 401 when a required bearer token is
 * missing or unknown, 403 when it may not be used from the client's address; 400 when the handshake is malformed)
 * and switches the connection to frames. The MEOW advertises {@code dedup} when the client
 * asked for it and the server keeps a {@link DedupWindow} (channel attribute {@link DedupWindow#ATTRIBUTE}).
 */
final class KittenHandshakeHandler extends ByteToMessageDecoder {
    private final Pipelines pipelines;
    private final Ingest ingest;

    KittenHandshakeHandler(Pipelines pipelines) {
        this.pipelines = pipelines;
        this.ingest = pipelines.ingest();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        Handshake h;
        try {
            h = Handshake.decode(in, Kitten.MAX_HANDSHAKE_BYTES);
        } catch (ProtocolException e) {
            refuse(ctx, in, "bad_handshake", 400, "Bad Request", e.getMessage());
            return;
        }
        if (h == null) {
            return;
        }
        AccessPolicy.Decision access = ingest.access().kitten(h.bearerToken().orElse(null),
                ctx.channel().remoteAddress());
        if (access instanceof Refusal r) {
            refuse(ctx, in, r.reason(), r.status(), r.status() == 401 ? "Unauthorized" : "Forbidden", r.message());
            return;
        }
        // Only a client that asked for it gets the feature (kittenhouse's client keeps its byte-exact MEOW)
        DedupWindow dedup = h.features().contains(Kitten.FEATURE_DEDUP)
                ? ctx.channel().attr(DedupWindow.ATTRIBUTE).get() : null;
        ctx.writeAndFlush(Unpooled.wrappedBuffer(
                HandshakeReply.meow(dedup == null ? List.of() : List.of(Kitten.FEATURE_DEDUP))));
        ReadGateHandler.requestRead(ctx);
        pipelines.kittenFrames(ctx.pipeline(), ctx.name(), (AccessPolicy.Grant) access, dedup != null);
    }

    private void refuse(ChannelHandlerContext ctx, ByteBuf in, String reason, int status, String phrase,
                        String body) {
        ingest.bad().count(reason);
        in.skipBytes(in.readableBytes());
        ReadGateHandler.requestRead(ctx);
        ctx.writeAndFlush(Unpooled.wrappedBuffer(HandshakeReply.refuse(status, phrase, body)))
                .addListener(ChannelFutureListener.CLOSE);
        ctx.pipeline().remove(this);
    }
}
