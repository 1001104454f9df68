package io.catflap.aggregator.ingest;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.catflap.aggregator.batch.Ack;
import io.catflap.aggregator.batch.InsertResult;
import io.catflap.protocol.RequestFrame;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.AttributeKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Remembers the answers to KITTEN requests that carry an idempotency key (flag 0x04), so that a sender resending a
 * request whose answer it never got — its process was killed after sending — gets that answer instead of a second
 * copy of the rows in ClickHouse.
 *
 * <ul>
 *   <li>a key whose rows were committed (200) within the window is answered 200 again, without inserting;</li>
 *   <li>a key whose first request is still in flight is answered with that request's answer, when it comes;</li>
 *   <li>a key whose request failed is forgotten as it fails, so the sender's retry is processed anew.</li>
 * </ul>
 * Keys are scoped by the connection's bearer token and the frame's table string and format: a sender can only ever
 * suppress its own rows. The window is memory only — an aggregator restart forgets it — and bounded in time
 * ({@code --dedup-window}) and in keys ({@link #MAX_KEYS}).
 */
public final class DedupWindow {
    /** How the server hands the window to its connections; a connection without it advertises no dedup. */
    public static final AttributeKey<DedupWindow> ATTRIBUTE = AttributeKey.valueOf(DedupWindow.class, "window");
    /**
     * Roughly 160 bytes each (cache node, map node, key, answer), so at most ~80 MiB: ten minutes of ~800 keyed
     * requests/s, each a batch of up to a MiB from a client daemon, whose resend follows its crash within minutes.
     */
    public static final long MAX_KEYS = 500_000;

    /** A request's scoped key, digested to 128 bits so that an entry holds no strings. */
    public record Key(long high, long low) {
    }

    private final Cache<Key, CompletableFuture<InsertResult>> answers;
    private final Counter hits;

    public DedupWindow(Duration window, MeterRegistry registry) {
        this(window, MAX_KEYS, registry);
    }

    DedupWindow(Duration window, long maxKeys, MeterRegistry registry) {
        this.answers = Caffeine.newBuilder().expireAfterWrite(window).maximumSize(maxKeys).build();
        this.hits = Counter.builder("catflap.dedup.hits")
                .description("Keyed KITTEN requests answered from the dedup window instead of inserting their rows")
                .register(registry);
    }

    /**
     * Claims a request's idempotency key.
     *
     * @param key the key from {@link #key}
     * @param ack where the request's answer goes
     * @return the ack to insert the rows with (it records the answer, then passes it to {@code ack}); or null when the
     *         key was seen: the rows must not be inserted, and {@code ack} gets the first request's answer
     */
    Ack claim(Key key, Ack ack) {
        CompletableFuture<InsertResult> mine = new CompletableFuture<>();
        CompletableFuture<InsertResult> first = answers.asMap().putIfAbsent(key, mine);
        if (first != null) {
            hits.increment();
            first.thenAccept(ack::complete);
            return null;
        }
        return result -> {
            if (!result.ok()) {
                answers.asMap().remove(key, mine); // a retry must insert; waiting repeats share this failure
            }
            mine.complete(result);
            ack.complete(result);
        };
    }

    /**
     * The scoped key of a frame with an idempotency key: SHA-256 of token, format and table (a token has no NUL)
     * and the key, cut to 128 bits.
     *
     * @param token the connection's bearer token, or null
     */
    static Key key(String token, RequestFrame frame) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
        if (token != null) {
            sha.update(token.getBytes(StandardCharsets.UTF_8));
        }
        sha.update((byte) 0);
        sha.update((byte) (frame.rowBinary() ? 1 : 0));
        sha.update(frame.table().getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        ByteBuffer digest = ByteBuffer.wrap(sha.digest(frame.idempotencyKey()));
        return new Key(digest.getLong(), digest.getLong());
    }
}
