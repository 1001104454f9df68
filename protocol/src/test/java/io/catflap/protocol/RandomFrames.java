package io.catflap.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.Random;

/** Seeded random frames and table strings covering the edges (empty bodies, long tables, multi-byte UTF-8). */
final class RandomFrames {
    private static final String PLAIN_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
    private static final String PLAIN_PART = PLAIN_START + "0123456789";
    /** Characters for back-quoted names: specials that need escaping and multi-byte UTF-8 (incl. a surrogate pair). */
    private static final String[] QUOTED = {"a", "Z", " ", "`", "\\", ".", "(", ")", ",", "@", ";", "'", "\"", "ж", "€", "\uD83D\uDC31"};

    private final Random random;

    RandomFrames(long seed) {
        this.random = new Random(seed);
    }

    Random random() {
        return random;
    }

    /** A valid table string: optional database, shard and column list; names plain or back-quoted. */
    TableSpec tableSpec() {
        String database = random.nextInt(3) == 0 ? null : name();
        String shard = random.nextInt(4) == 0 ? Integer.toString(random.nextInt(100)) : null;
        int n = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(6);
        var columns = new java.util.LinkedHashSet<String>();
        while (columns.size() < n) {
            columns.add(name());
        }
        return new TableSpec(database, name(), java.util.List.copyOf(columns), shard);
    }

    String name() {
        StringBuilder b = new StringBuilder();
        if (random.nextInt(4) > 0) {
            b.append(PLAIN_START.charAt(random.nextInt(PLAIN_START.length())));
            for (int i = random.nextInt(12); i > 0; i--) {
                b.append(PLAIN_PART.charAt(random.nextInt(PLAIN_PART.length())));
            }
        } else {
            for (int i = 1 + random.nextInt(8); i > 0; i--) {
                b.append(QUOTED[random.nextInt(QUOTED.length)]);
            }
        }
        return b.toString();
    }

    int flags() {
        return random.nextInt(Kitten.KNOWN_FLAGS + 1);
    }

    /** Mostly small bodies, some empty, a few over 64 KiB. */
    byte[] body() {
        int size = switch (random.nextInt(10)) {
            case 0 -> 0;
            case 1 -> 65_536 + random.nextInt(10_000);
            case 2, 3 -> random.nextInt(5_000);
            default -> random.nextInt(100);
        };
        byte[] body = new byte[size];
        random.nextBytes(body);
        return body;
    }

    /** A random idempotency key when {@code flags} has flag 0x04, else null. */
    byte[] key(int flags) {
        if ((flags & Kitten.FLAG_IDEMPOTENCY_KEY) == 0) {
            return null;
        }
        byte[] key = new byte[Kitten.IDEMPOTENCY_KEY_BYTES];
        random.nextBytes(key);
        return key;
    }

    /** A request frame with an unpooled body (release it anyway, as its owner). */
    RequestFrame request() {
        return request(body());
    }

    RequestFrame request(byte[] body) {
        int flags = flags();
        return new RequestFrame(flags, tableSpec().toString(), key(flags), Unpooled.wrappedBuffer(body));
    }

    ResponseFrame response() {
        int status = random.nextInt(3) == 0 ? 200 : 100 + random.nextInt(500);
        if (random.nextInt(4) == 0) {
            return new ResponseFrame(status, "");
        }
        StringBuilder message = new StringBuilder("Code: ").append(random.nextInt(1000)).append(", ");
        for (int i = random.nextInt(200); i > 0; i--) {
            message.append(QUOTED[random.nextInt(QUOTED.length)]);
        }
        return new ResponseFrame(status, message.toString());
    }

    static byte[] encode(RequestFrame frame) {
        ByteBuf out = Unpooled.buffer();
        FrameCodec.encodeRequest(frame.flags(), frame.table(), frame.idempotencyKey(), frame.content(), out);
        return TestBytes.bytes(out);
    }

    static byte[] encode(ResponseFrame frame) {
        ByteBuf out = Unpooled.buffer();
        FrameCodec.encodeResponse(frame, out);
        return TestBytes.bytes(out);
    }
}
