package io.catflap.client.persist;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** A sink that records what it accepted; {@code verdict} may fail a batch (returns null to accept it). */
final class RecordingSink implements PersistSink {

    record Sent(String table, boolean rowBinary, byte[] body, byte[] key) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final List<Sent> accepted = new ArrayList<>();
    private final Function<Sent, RuntimeException> verdict;
    private int calls;

    RecordingSink() {
        this(s -> null);
    }

    RecordingSink(Function<Sent, RuntimeException> verdict) {
        this.verdict = verdict;
    }

    @Override
    public synchronized CompletableFuture<Void> send(String table, boolean rowBinary, byte[] body, byte[] key) {
        calls++;
        Sent s = new Sent(table, rowBinary, body.clone(), key.clone());
        RuntimeException failure = verdict.apply(s);
        if (failure != null) {
            return CompletableFuture.failedFuture(failure);
        }
        accepted.add(s);
        return CompletableFuture.completedFuture(null);
    }

    synchronized List<Sent> accepted() {
        return new ArrayList<>(accepted);
    }

    synchronized int calls() {
        return calls;
    }

    /** The accepted VALUES tuples of {@code table}, in order. */
    synchronized List<String> tuples(String table) {
        List<String> out = new ArrayList<>();
        for (Sent s : accepted) {
            if (s.table().equals(table) && !s.rowBinary()) {
                out.addAll(Arrays.asList(s.text().split(",")));
            }
        }
        return out;
    }
}
