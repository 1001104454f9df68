package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

import static io.catflap.protocol.TestBytes.concat;
import static io.catflap.protocol.TestBytes.golden;
import static io.catflap.protocol.TestBytes.pooled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Every truncation and every split of valid multi-frame streams: a decoder either yields exactly the frames
 * that are complete or waits (null, nothing consumed) — it never throws on a valid prefix and never yields a
 * wrong frame.
 */
class DecodeOrWaitTest {
    private static final int MAX_BODY = 1 << 20;

    @Test
    void requestStreams() {
        RandomFrames random = new RandomFrames(7);
        List<byte[]> frames = new ArrayList<>();
        for (String file : List.of("request-values.hex", "request-rowbinary.hex", "request-lz4.hex",
                "request-lz4-idempotency-key.hex")) {
            frames.add(golden(file));
        }
        for (int i = 0; i < 3; i++) {
            RequestFrame frame = random.request(new byte[i == 0 ? 0 : 1 + random.random().nextInt(40)]);
            frames.add(RandomFrames.encode(frame));
            frame.release();
        }
        assertDecodeOrWait(frames, in -> FrameCodec.decodeRequest(in, MAX_BODY), () -> new RequestFrameDecoder(MAX_BODY));
    }

    @Test
    void responseStreams() {
        RandomFrames random = new RandomFrames(8);
        List<byte[]> frames = new ArrayList<>(List.of(golden("response-ok.hex"), golden("response-error.hex")));
        for (int i = 0; i < 4; i++) {
            frames.add(RandomFrames.encode(random.response()));
        }
        assertDecodeOrWait(frames, in -> FrameCodec.decodeResponse(in, Kitten.MAX_RESPONSE_MESSAGE_BYTES),
                () -> new ResponseFrameDecoder(Kitten.MAX_RESPONSE_MESSAGE_BYTES));
    }

    @Test
    void handshakes() {
        for (String file : List.of("handshake-kittenhouse.hex", "handshake-bearer-crlf.hex")) {
            assertDecodeOrWait(List.of(golden(file)), in -> Handshake.decode(in, Kitten.MAX_HANDSHAKE_BYTES), null);
        }
    }

    @Test
    void handshakeReplies() {
        for (String file : List.of("reply-meow.hex", "reply-meow-lz4.hex", "reply-401.hex")) {
            assertDecodeOrWait(List.of(golden(file)), in -> HandshakeReply.decode(in, Kitten.MAX_HANDSHAKE_BYTES), null);
        }
    }

    /**
     * Checks {@code decode} on every prefix of the concatenated frames and, when a Netty decoder is given,
     * feeds the stream byte by byte and split in two at every position through an EmbeddedChannel.
     */
    private static void assertDecodeOrWait(List<byte[]> frames, Function<ByteBuf, Object> decode,
                                           Supplier<ChannelHandler> nettyDecoder) {
        byte[] stream = concat(frames.toArray(new byte[0][]));
        int[] ends = new int[frames.size()];
        List<Object> expected = new ArrayList<>();
        for (int i = 0, at = 0; i < frames.size(); i++) {
            at += frames.get(i).length;
            ends[i] = at;
            ByteBuf one = pooled(frames.get(i));
            expected.add(decode.apply(one));
            one.release();
        }
        try {
            for (int prefix = 0; prefix <= stream.length; prefix++) {
                assertPrefix(stream, prefix, ends, expected, decode);
            }
            if (nettyDecoder != null) {
                assertFrames(expected, feed(nettyDecoder.get(), stream, 1), "byte by byte");
                for (int split = 0; split <= stream.length; split++) {
                    assertFrames(expected, feed(nettyDecoder.get(), stream, split, stream.length), "split at " + split);
                }
            }
        } finally {
            expected.forEach(ReferenceCountUtil::release);
        }
    }

    /** Compares and releases {@code got}. */
    private static void assertFrames(List<Object> expected, List<Object> got, String how) {
        try {
            assertEquals(expected, got, how);
        } finally {
            got.forEach(ReferenceCountUtil::release);
        }
    }

    private static void assertPrefix(byte[] stream, int prefix, int[] ends, List<Object> expected,
                                     Function<ByteBuf, Object> decode) {
        ByteBuf in = pooled(Arrays.copyOf(stream, prefix));
        try {
            int complete = 0;
            while (complete < ends.length && ends[complete] <= prefix) {
                complete++;
            }
            for (int i = 0; i < complete; i++) {
                Object frame = decode.apply(in);
                try {
                    assertEquals(expected.get(i), frame, "frame " + i + " of a " + prefix + "-byte prefix");
                } finally {
                    ReferenceCountUtil.release(frame);
                }
            }
            int consumed = in.readerIndex();
            assertNull(decode.apply(in), "a " + prefix + "-byte prefix must wait");
            assertEquals(consumed, in.readerIndex(), "waiting must not consume");
            assertEquals(complete == 0 ? 0 : ends[complete - 1], consumed);
        } finally {
            in.release();
        }
    }

    /** Writes {@code stream} in chunks ending at {@code cuts} (or of {@code step} bytes); returns the frames read. */
    private static List<Object> feed(ChannelHandler decoder, byte[] stream, int step) {
        int[] cuts = new int[(stream.length + step - 1) / step];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = Math.min(stream.length, (i + 1) * step);
        }
        return feed(decoder, stream, cuts);
    }

    private static List<Object> feed(ChannelHandler decoder, byte[] stream, int... cuts) {
        EmbeddedChannel channel = new EmbeddedChannel(decoder);
        List<Object> frames = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            channel.writeInbound(pooled(Arrays.copyOfRange(stream, from, cut)));
            from = cut;
            for (Object frame; (frame = channel.readInbound()) != null; ) {
                frames.add(frame);
            }
        }
        assertFalse(channel.finish(), "nothing may be left over");
        return frames;
    }
}
