package io.catflap.loadtest;

import io.catflap.protocol.Handshake;
import io.catflap.protocol.HandshakeReply;
import io.catflap.protocol.Kitten;
import io.catflap.protocol.Lz4Body;
import io.catflap.protocol.RequestFrame;
import io.catflap.protocol.ResponseFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;

/** An active KITTEN connection: handshake, then one request frame at a time. */
final class KittenSession extends RequestLoop {
    private final KittenOptions options;

    KittenSession(LoadRun run, SimulatedHost host, KittenOptions options) {
        super(run, host);
        this.options = options;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(Handshake.encode(options.token())));
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HandshakeReply.Result reply) {
            if (reply.meow()) {
                ready();
            } else {
                String reason = "handshake refused: " + reply.status() + " " + ErrorText.firstLine(reply.body());
                stats.error(reason);
                finish();
                fail(reason);
            }
        } else if (msg instanceof ResponseFrame response) {
            answered(response.ok(), response.status() + " " + ErrorText.firstLine(response.message()));
        } else {
            fail("unexpected message " + msg.getClass().getSimpleName());
        }
    }

    @Override
    protected void writeInsert(ChannelHandlerContext ctx, int table, ByteBuf body) {
        int flags = run.workload().rows().format() == RowFormat.ROWBINARY ? Kitten.FLAG_ROW_BINARY : 0;
        ByteBuf wire = body;
        if (options.lz4()) {
            try {
                wire = Lz4Body.compress(body, ctx.alloc());
            } finally {
                body.release();
            }
            flags |= Kitten.FLAG_LZ4;
        }
        ctx.writeAndFlush(new RequestFrame(flags, run.workload().tableWithColumns(table), wire));
    }

    @Override
    protected void writeSelect(ChannelHandlerContext ctx, String sql) {
        throw new IllegalStateException("KITTEN carries inserts only");
    }
}
