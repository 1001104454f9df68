package io.catflap.aggregator;

import io.catflap.protocol.Kitten;
import io.catflap.protocol.KittenStreams;
import io.catflap.protocol.ResponseFrame;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.function.LongFunction;

/**
 * Good KITTEN senders beside one that sends only a bad row, each on its own connection in a closed loop (send, wait
 * for the answer, send again; the bad one may pause before it sends again) to one table {@code (a UInt64)}, for a
 * while. Good sender {@code s} sends row
 * {@code (s * 1,000,000 + i)} as its i-th request, so every row is told apart where it lands.
 */
final class BadNeighbour {
    /** What the bad sender sends: a String where ClickHouse expects a number. */
    static final String BAD_ROW = "('bad')";

    /**
     * What the senders were answered.
     *
     * @param acked       the good rows answered 200
     * @param goodErrors  every other answer a good sender got
     * @param badAnswers  every answer the bad sender got
     */
    record Outcome(Set<Long> acked, List<ResponseFrame> goodErrors, List<ResponseFrame> badAnswers) { }

    private BadNeighbour() {
    }

    /**
     * Runs {@code goodSenders} good senders and the bad one against {@code port} for {@code duration}; the bad one
     * waits {@code badPause} after each answer.
     */
    static Outcome run(int port, String table, int goodSenders, Duration duration, Duration badPause)
            throws Exception {
        Set<Long> acked = ConcurrentHashMap.newKeySet();
        List<ResponseFrame> goodErrors = new CopyOnWriteArrayList<>();
        List<ResponseFrame> badAnswers = new CopyOnWriteArrayList<>();
        long end = System.nanoTime() + duration.toNanos();
        ExecutorService senders = Executors.newFixedThreadPool(goodSenders + 1);
        try {
            List<Future<?>> running = new ArrayList<>();
            running.add(senders.submit(() -> loop(port, table, end, i -> BAD_ROW, (i, r) -> {
                badAnswers.add(r);
                LockSupport.parkNanos(badPause.toNanos());
            })));
            for (int s = 1; s <= goodSenders; s++) {
                long first = s * 1_000_000L;
                running.add(senders.submit(() -> loop(port, table, end, i -> "(" + (first + i) + ")", (i, r) -> {
                    if (r.equals(ResponseFrame.OK)) {
                        acked.add(first + i);
                    } else {
                        goodErrors.add(r);
                    }
                })));
            }
            for (Future<?> f : running) {
                f.get();
            }
        } finally {
            senders.shutdownNow();
        }
        return new Outcome(acked, goodErrors, badAnswers);
    }

    /** One sender: request i carries {@code row(i)}; each answer goes to {@code answered} with its i. */
    private static Void loop(int port, String table, long end, LongFunction<String> row,
                             BiConsumer<Long, ResponseFrame> answered) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(120_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            KittenStreams.writeHandshake(out, null);
            if (!KittenStreams.readHandshakeReply(in).meow()) {
                throw new IOException("no MEOW");
            }
            for (long i = 0; System.nanoTime() - end < 0; i++) {
                byte[] b = row.apply(i).getBytes(StandardCharsets.UTF_8);
                KittenStreams.writeRequest(out, 0, table, b, 0, b.length);
                answered.accept(i, KittenStreams.readResponse(in, Kitten.MAX_RESPONSE_MESSAGE_BYTES));
            }
        }
        return null;
    }
}
