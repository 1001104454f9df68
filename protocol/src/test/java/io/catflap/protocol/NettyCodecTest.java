package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static io.catflap.protocol.TestBytes.bytes;
import static io.catflap.protocol.TestBytes.golden;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Netty encoders write the golden bytes, release what they wrote, and feed the decoders losslessly; the handshake
 * reply decoder passes what follows the reply on.
 */
class NettyCodecTest {
    @Test
    void requestEncoderWritesGoldenBytesAndReleasesTheFrame() {
        ByteBuf body = PooledByteBufAllocator.DEFAULT.buffer().writeBytes("(1,'web1',80),(2,'web2',443)".getBytes());
        assertEncodes(new RequestFrame(0, "internal_logs_buffer(time,server,port)", body), "request-values.hex");
    }

    @Test
    void requestEncoderWritesTheIdempotencyKeyBeforeTheBody() {
        ByteBuf in = TestBytes.pooled(golden("request-lz4-idempotency-key.hex"));
        RequestFrame frame = FrameCodec.decodeRequest(in, Kitten.DEFAULT_MAX_BODY_BYTES);
        in.release();
        assertEncodes(frame, "request-lz4-idempotency-key.hex");
    }

    private static void assertEncodes(RequestFrame frame, String goldenFile) {
        EmbeddedChannel channel = new EmbeddedChannel(new RequestFrameEncoder());
        assertTrue(channel.writeOutbound(frame));
        assertEquals(0, frame.refCnt(), "the encoder releases the frame it wrote");
        ByteBuf out = channel.readOutbound();
        assertArrayEquals(golden(goldenFile), bytes(out));
        out.release();
        assertFalse(channel.finish());
    }

    @Test
    void responseEncoderWritesGoldenBytes() {
        EmbeddedChannel channel = new EmbeddedChannel(new ResponseFrameEncoder());
        channel.writeOutbound(ResponseFrame.OK);
        ByteBuf out = channel.readOutbound();
        assertArrayEquals(golden("response-ok.hex"), bytes(out));
        out.release();
        assertFalse(channel.finish());
    }

    @Test
    void randomFramesThroughEncoderAndDecoder() {
        RandomFrames random = new RandomFrames(99);
        EmbeddedChannel client = new EmbeddedChannel(new RequestFrameEncoder(), new ResponseFrameDecoder(Kitten.MAX_RESPONSE_MESSAGE_BYTES));
        EmbeddedChannel server = new EmbeddedChannel(new ResponseFrameEncoder(), new RequestFrameDecoder(Kitten.DEFAULT_MAX_BODY_BYTES));
        List<RequestFrame> sent = new ArrayList<>();
        List<ResponseFrame> answered = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            RequestFrame frame = random.request();
            sent.add(frame.copy());
            client.writeOutbound(frame);
            ResponseFrame response = random.response();
            answered.add(response);
            server.writeOutbound(response);
        }
        pump(client, server);
        pump(server, client);
        for (int i = 0; i < sent.size(); i++) {
            RequestFrame got = server.readInbound();
            assertEquals(sent.get(i), got);
            got.release();
            sent.get(i).release();
            assertEquals(answered.get(i), client.readInbound());
        }
        assertFalse(client.finish());
        assertFalse(server.finish());
    }

    @Test
    void handshakeReplyDecoderEmitsTheReplyThenHandsLaterBytesToTheFrameDecoder() {
        EmbeddedChannel client = new EmbeddedChannel(new HandshakeReplyDecoder(),
                new ResponseFrameDecoder(Kitten.MAX_RESPONSE_MESSAGE_BYTES));
        byte[] meow = HandshakeReply.meow(List.of(Kitten.FEATURE_LZ4));
        byte[] all = TestBytes.concat(meow, golden("response-ok.hex"));
        client.writeInbound(TestBytes.pooled(Arrays.copyOf(all, 10)));
        assertNull(client.readInbound(), "an incomplete reply is not emitted");
        client.writeInbound(TestBytes.pooled(Arrays.copyOfRange(all, 10, all.length)));
        assertEquals(new HandshakeReply.Result(true, 200, "MEOW", Set.of(Kitten.FEATURE_LZ4)), client.readInbound());
        assertNull(client.pipeline().get(HandshakeReplyDecoder.class), "the decoder leaves the pipeline");
        assertEquals(ResponseFrame.OK, client.readInbound());
        assertFalse(client.finish());
    }

    private static void pump(EmbeddedChannel from, EmbeddedChannel to) {
        for (ByteBuf b; (b = from.readOutbound()) != null; ) {
            to.writeInbound(b);
        }
    }
}
