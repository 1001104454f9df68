package io.catflap.aggregator.ingest;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.function.IntSupplier;

/** Feeds a request body to a {@link BodyDecoder} in pieces, as the HTTP codec hands it on. */
final class BodyDecoderFeed {
    private BodyDecoderFeed() {
    }

    /** Feeds {@code body} in pieces of at most {@code step} bytes each; the decoded bytes. */
    static byte[] feed(BodyDecoder decoder, byte[] body, IntSupplier step) throws BodyDecoder.Failure {
        CompositeByteBuf all = Unpooled.compositeBuffer(Integer.MAX_VALUE);
        try {
            for (int at = 0; at < body.length; ) {
                int n = Math.min(step.getAsInt(), body.length - at);
                all.addComponent(true, decoder.decode(Unpooled.copiedBuffer(body, at, n), at + n == body.length));
                at += n;
            }
            return ByteBufUtil.getBytes(all);
        } finally {
            all.release();
        }
    }
}
