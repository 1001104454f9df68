package io.catflap.protocol;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Any bytes, split anywhere, through every KITTEN decoder: frames or a {@link ProtocolException}, never another
 * exception, and after the exception nothing more (the stream is out of step). Half the inputs are valid frames
 * with a few bytes changed, so that the decoders get past their first checks. Seeded: a failure repeats.
 */
class DecoderFuzzTest {
    private static final int ROUNDS = 3_000;

    @Test
    void requestFrameDecoder() {
        fuzz(() -> new RequestFrameDecoder(1 << 16), 11, frames -> {
            RequestFrame f = frames.request(new byte[frames.random().nextInt(200)]);
            try {
                return RandomFrames.encode(f);
            } finally {
                f.release();
            }
        });
    }

    @Test
    void responseFrameDecoder() {
        fuzz(() -> new ResponseFrameDecoder(Kitten.MAX_RESPONSE_MESSAGE_BYTES), 12,
                frames -> RandomFrames.encode(frames.response()));
    }

    @Test
    void handshakeReplyDecoder() {
        fuzz(HandshakeReplyDecoder::new, 13, frames -> frames.random().nextBoolean() ? HandshakeReply.meow(List.of())
                : HandshakeReply.refuse(401, "Unauthorized", "a bearer token is required"));
    }

    @Test
    void handshake() {
        Random random = new Random(14);
        for (int round = 0; round < ROUNDS; round++) {
            ByteBuf in = Unpooled.wrappedBuffer(input(random, Handshake.encode(random.nextBoolean() ? "t0ken" : null)));
            try {
                Handshake.decode(in, Kitten.MAX_HANDSHAKE_BYTES);
            } catch (ProtocolException expected) {
                // a precise error is the other allowed outcome
            } finally {
                in.release();
            }
        }
    }

    private static void fuzz(Supplier<ChannelHandler> decoder, long seed, Function<RandomFrames, byte[]> validInput) {
        Random random = new Random(seed);
        RandomFrames frames = new RandomFrames(seed);
        for (int round = 0; round < ROUNDS; round++) {
            byte[] valid = validInput.apply(frames);
            byte[] bytes = input(random, valid);
            EmbeddedChannel ch = new EmbeddedChannel(decoder.get());
            try {
                boolean failed = false;
                for (int at = 0; at < bytes.length; ) {
                    int n = Math.min(bytes.length - at, 1 + random.nextInt(64));
                    try {
                        ch.writeInbound(Unpooled.wrappedBuffer(bytes, at, n));
                    } catch (DecoderException e) {
                        assertInstanceOf(ProtocolException.class, e.getCause(), "round " + round);
                        assertTrue(!failed, "round " + round + ": a second error after the stream went out of step");
                        failed = true;
                    }
                    at += n;
                }
            } finally {
                ch.finishAndReleaseAll();
            }
        }
    }

    /** Random bytes, or {@code valid} with a few bytes changed, cut short or followed by junk. */
    private static byte[] input(Random random, byte[] valid) {
        if (random.nextBoolean()) {
            byte[] junk = new byte[random.nextInt(300)];
            random.nextBytes(junk);
            return junk;
        }
        byte[] b = valid.clone();
        for (int i = random.nextInt(4); i > 0 && b.length > 0; i--) {
            b[random.nextInt(b.length)] = (byte) random.nextInt(256);
        }
        return random.nextInt(4) == 0 ? Arrays.copyOf(b, random.nextInt(b.length + 1)) : b;
    }
}
