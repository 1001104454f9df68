package io.catflap.client.persist;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An app that POSTs single-row persistent writes with unique ids to the client daemon and remembers which ids the
 * daemon acknowledged (HTTP 200). Failed writes (daemon down) are not retried: their ids are simply not acknowledged.
 */
public final class AppWriter implements AutoCloseable {

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final URI uri;
    private final AtomicLong nextId;
    private final Set<Long> acked = new ConcurrentSkipListSet<>();
    private final AtomicLong failed = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopping;

    AppWriter(int daemonPort, String table) {
        this(daemonPort, table, 1);
    }

    /** Writes ids from {@code firstId} on, so that several writers into one table write distinct ids. */
    public AppWriter(int daemonPort, String table, long firstId) {
        this.nextId = new AtomicLong(firstId);
        this.uri = URI.create("http://127.0.0.1:" + daemonPort + "/?table="
                + URLEncoder.encode(table + "(id,payload)", StandardCharsets.UTF_8) + "&persistent=1");
    }

    /** Writes {@code count} rows from this thread; returns how many were acknowledged. */
    int writeNow(int count) {
        int ok = 0;
        for (int i = 0; i < count; i++) {
            ok += writeOne() ? 1 : 0;
        }
        return ok;
    }

    /** Starts {@code n} threads writing until {@link #close()}, pausing {@code pauseMillis} after a failure. */
    public void startThreads(int n, long pauseMillis) {
        for (int t = 0; t < n; t++) {
            Thread th = new Thread(() -> {
                while (!stopping) {
                    if (!writeOne()) {
                        try {
                            Thread.sleep(pauseMillis);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            }, "app-writer-" + t);
            threads.add(th);
            th.start();
        }
    }

    /** Every id written so far is below this one. */
    public long nextId() {
        return nextId.get();
    }

    private boolean writeOne() {
        long id = nextId.getAndIncrement();
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("(" + id + ",'row " + id + "')")).build();
        try {
            if (http.send(req, HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                acked.add(id);
                return true;
            }
        } catch (Exception e) {
            // the daemon is down or was killed mid-request: not acknowledged
        }
        failed.incrementAndGet();
        return false;
    }

    public Set<Long> acked() {
        return acked;
    }

    public long failed() {
        return failed.get();
    }

    /** Stops the writer threads and waits for their last request. */
    public void stop() {
        stopping = true;
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        stop();
    }
}
