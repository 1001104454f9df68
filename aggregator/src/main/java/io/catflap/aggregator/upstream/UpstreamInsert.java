package io.catflap.aggregator.upstream;

import io.catflap.aggregator.batch.Batch;
import io.catflap.aggregator.batch.BatchKey;
import io.catflap.aggregator.batch.BatchWriter;
import io.catflap.aggregator.batch.InsertFormat;
import io.catflap.aggregator.batch.TableBatch;
import io.catflap.aggregator.batch.TrackedTables;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes sealed batches to ClickHouse ({@code INSERT INTO <validated target> FORMAT X} with the rows as body) and
 * answers every request in them. Concurrency is capped by the insert {@link UpstreamPool}.
 *
 * <p>Failures follow {@link ErrorPolicy}: transient errors are retried with exponential backoff and jitter until
 * the retry deadline; data errors split the batch in halves, recursively, until only the requests holding bad rows
 * get ClickHouse's error; errors about the batch's size split it in halves by bytes until the halves fit, so that
 * only a request too big on its own gets the error; errors that hold for the whole key are answered at once.
 * Inserts of split parts are paced per table by the {@link SplitBudget}: a part waits, on the timer, for its
 * table's next token, and one whose token would come after the retry deadline is answered 503 at once. Retries and
 * splits are logged at WARN, at most one line per table every few seconds ({@link InsertWarnings}).
 *
 * <p>An insert left without an answer after its whole body was sent may have been committed. It is sent again,
 * the same bytes, only where ClickHouse drops what it already has ({@link TableEngines}); elsewhere its senders
 * get 504 "outcome unknown" rather than risk their rows twice.
 */
public final class UpstreamInsert implements BatchWriter {
    private static final Logger log = LoggerFactory.getLogger(UpstreamInsert.class);
    private static final long BACKOFF_BASE_MILLIS = 100;
    private static final long BACKOFF_CAP_MILLIS = 5_000;
    private static final String DEDUCE_TEMPLATES = "input_format_values_deduce_templates_of_expressions";
    /** Why an insert waits for the version probe: retried like a connection failure, never sent without them. */
    private static final UpstreamReply VERSION_UNKNOWN = UpstreamReply.failed("ClickHouse's version is not known yet, "
            + "so the settings that keep senders' VALUES from being evaluated cannot be chosen");

    private final UpstreamExchange http;
    private final ServerVersionProbe version;
    private final TableEngines engines;
    private final String user;
    private final String password;
    private final long retryDeadlineNanos;
    private final EventExecutorGroup timer;
    private final MeterRegistry registry;
    private final TrackedTables tracked;
    private final Counter retries;
    private final Counter splits;
    private final Counter ambiguous;
    private final Counter splitsDelayed;
    private final SplitBudget splitBudget;
    private final InsertWarnings warnings = new InsertWarnings(log, System::nanoTime);
    private volatile long hardDeadlineNanos = Long.MAX_VALUE;

    public UpstreamInsert(UpstreamExchange http, ServerVersionProbe version, TableEngines engines, String user,
                          String password, long retryDeadlineMillis, EventExecutorGroup timer,
                          MeterRegistry registry, TrackedTables tracked, SplitBudget splitBudget) {
        this.http = http;
        this.version = version;
        this.engines = engines;
        this.user = user;
        this.password = password;
        this.retryDeadlineNanos = TimeUnit.MILLISECONDS.toNanos(retryDeadlineMillis);
        this.timer = timer;
        this.registry = registry;
        this.tracked = tracked;
        this.splitBudget = splitBudget;
        this.retries = Counter.builder("catflap.insert.retries").description("Inserts retried after transient errors")
                .register(registry);
        this.splits = Counter.builder("catflap.batch.splits")
                .description("Batches split in two to isolate requests with bad rows, or to fit").register(registry);
        this.ambiguous = Counter.builder("catflap.inserts.ambiguous")
                .description("Inserts left without an answer after their whole body was sent: maybe committed")
                .register(registry);
        this.splitsDelayed = Counter.builder("catflap.split.inserts.delayed")
                .description("Inserts of split batch parts that waited for their table's split budget")
                .register(registry);
    }

    /** From now on no insert is retried past {@code deadlineNanos} (System.nanoTime), e.g. at shutdown. */
    public void capRetries(long deadlineNanos) {
        hardDeadlineNanos = deadlineNanos;
    }

    @Override
    public void write(Batch batch, Consumer<TableBatch.InsertError> done) {
        String table = tracked.label(batch.key().tableName());
        Counter.builder("catflap.batches").description("Sealed batches written upstream").tag("table", table)
                .register(registry).increment();
        DistributionSummary.builder("catflap.batch.bytes").description("Size of sealed batches").baseUnit("bytes")
                .tag("table", table).serviceLevelObjectives(4 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20)
                .register(registry).record(batch.bytes());
        DistributionSummary.builder("catflap.batch.requests").description("Requests merged into one batch")
                .tag("table", table).serviceLevelObjectives(1, 10, 100, 1000, 10_000)
                .register(registry).record(batch.parts());
        new Attempt(batch, done).insert(0, batch.parts(), 0);
    }

    /** Inserting one batch, possibly in several ranges of requests after splits. */
    private final class Attempt {
        private final Batch batch;
        private final Consumer<TableBatch.InsertError> done;
        private final long deadline = System.nanoTime() + retryDeadlineNanos;
        private final AtomicInteger unanswered;
        private volatile TableBatch.InsertError lastError;

        Attempt(Batch batch, Consumer<TableBatch.InsertError> done) {
            this.batch = batch;
            this.done = done;
            this.unanswered = new AtomicInteger(batch.parts());
        }

        void insert(int from, int to, int attempt) {
            version.version().addListener(v -> {
                @SuppressWarnings("unchecked")
                Optional<ServerVersion> known = (Optional<ServerVersion>) v.getNow();
                send(from, to, attempt, known);
            });
        }

        private void send(int from, int to, int attempt, Optional<ServerVersion> known) {
            BatchKey key = batch.key();
            String uri = uri(key, known);
            if (uri == null) {
                onReply(from, to, attempt, VERSION_UNKNOWN);
                return;
            }
            ByteBuf body = batch.slice(from, to);
            long start = System.nanoTime();
            http.post(uri, user(key), password(key), headers(key), body).addListener(f -> {
                UpstreamReply r = (UpstreamReply) f.getNow();
                measure(key, start, r);
                onReply(from, to, attempt, r);
            });
        }

        private void onReply(int from, int to, int attempt, UpstreamReply r) {
            if (r.maybeCommitted()) {
                engines.deduplicates(batch.key()).thenAccept(again -> {
                    if (again) {
                        retry(from, to, attempt, r);
                    } else {
                        answer(from, to, r);
                    }
                });
                return;
            }
            switch (ErrorPolicy.of(r, to - from)) {
                case ANSWER -> answer(from, to, r);
                case SPLIT -> split(from, (from + to) >>> 1, to, r);
                case SHRINK -> split(from, batch.middleByBytes(from, to), to, r);
                case RETRY -> retry(from, to, attempt, r);
            }
        }

        private void retry(int from, int to, int attempt, UpstreamReply r) {
            long delay = backoffMillis(attempt);
            if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay) > Math.min(deadline, hardDeadlineNanos)) {
                answer(from, to, r);
            } else {
                retries.increment();
                warnings.warn(batch.key().tableName(), true, r);
                timer.schedule(() -> insert(from, to, attempt + 1), delay, TimeUnit.MILLISECONDS);
            }
        }

        private void split(int from, int mid, int to, UpstreamReply r) {
            splits.increment();
            warnings.warn(batch.key().tableName(), false, r);
            insertPart(from, mid, r);
            insertPart(mid, to, r);
        }

        /** Inserts one part of a split range once its table's {@link SplitBudget} has a token for it. */
        private void insertPart(int from, int to, UpstreamReply splitFor) {
            String table = batch.key().tableName();
            long wait = splitBudget.reserve(table, Math.min(deadline, hardDeadlineNanos));
            if (wait < 0) {
                answer(from, to, UpstreamReply.of(503, "catflap: inserts into " + table + " that split batches with "
                        + "bad rows are rate-limited, and these rows' turn would come after the retry deadline: "
                        + "they were not inserted; send them again. The batch they were in failed with: "
                        + splitFor.message()));
            } else if (wait == 0) {
                insert(from, to, 0);
            } else {
                splitsDelayed.increment();
                timer.schedule(() -> insert(from, to, 0), wait, TimeUnit.NANOSECONDS);
            }
        }

        private void answer(int from, int to, UpstreamReply r) {
            if (!r.ok()) {
                lastError = new TableBatch.InsertError(System.currentTimeMillis(), r.code(), r.message());
                log.debug("insert into {} failed for {} requests: {}", batch.key().tableName(), to - from,
                        r.message());
            }
            // the batch's outcome is recorded (status, metrics, the table's own series) before its last senders
            // hear it, so that what they see next on /status and /metrics already includes their answer
            if (unanswered.addAndGet(from - to) == 0) {
                done.accept(lastError);
            }
            batch.answer(from, to, r.toResult());
        }
    }

    /**
     * Starts the insert of one request whose body is streamed upstream as it arrives: not merged, not held, and
     * therefore not retried.
     *
     * @param queryId the sender's {@code query_id} for its own insert, or null
     */
    public Future<UpstreamExchange.Stream> stream(BatchKey key, String queryId) {
        Promise<UpstreamExchange.Stream> opened = ImmediateEventExecutor.INSTANCE.newPromise();
        long start = System.nanoTime();
        version.version().addListener(v -> {
            @SuppressWarnings("unchecked")
            Optional<ServerVersion> known = (Optional<ServerVersion>) v.getNow();
            String uri = uri(key, known);
            if (uri == null) {
                opened.setSuccess(UpstreamExchange.Stream.failed(VERSION_UNKNOWN));
                return;
            }
            if (queryId != null) {
                uri += "&query_id=" + enc(queryId);
            }
            http.open(uri, user(key), password(key), headers(key)).addListener(o -> {
                UpstreamExchange.Stream s = (UpstreamExchange.Stream) o.getNow();
                s.reply().addListener(r -> measure(key, start, (UpstreamReply) r.getNow()));
                opened.setSuccess(s);
            });
        });
        return opened;
    }

    private String user(BatchKey key) {
        return key.user() != null ? key.user() : user;
    }

    private String password(BatchKey key) {
        return key.user() != null ? key.password() : password;
    }

    private static Map<String, String> headers(BatchKey key) {
        return key.contentEncoding() == null ? Map.of() : Map.of("Content-Encoding", key.contentEncoding());
    }

    private void measure(BatchKey key, long startNanos, UpstreamReply r) {
        Timer.builder("catflap.insert.duration").description("Upstream insert latency")
                .tag("table", tracked.label(key.tableName())).tag("result", r.ok() ? "ok" : "error")
                .register(registry).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        if (r.maybeCommitted()) {
            ambiguous.increment();
        }
        if (!r.ok()) {
            Counter.builder("catflap.insert.errors").description("Failed upstream inserts by ClickHouse code")
                    .tag("code", r.code() >= 0 ? Integer.toString(r.code()) : r.status() == 0 ? "io"
                            : "http_" + r.status())
                    .register(registry).increment();
        }
    }

    static long backoffMillis(int attempt) {
        long ceiling = Math.min(BACKOFF_CAP_MILLIS, BACKOFF_BASE_MILLIS << Math.min(attempt, 20));
        return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
    }

    /**
     * {@code /?query=INSERT INTO <target> FORMAT X&<settings>} with only settings the server knows; null while the
     * version is {@code known} to nobody and the insert needs settings that depend on it.
     */
    static String uri(BatchKey key, Optional<ServerVersion> known) {
        Map<String, String> settings = new TreeMap<>(key.settings());
        if (key.format().equals(InsertFormat.VALUES) && key.aggregatorCredentials()) {
            // under the aggregator's own credentials no sender's expression is evaluated (senders cannot set these)
            if (known.isEmpty()) {
                return null;
            }
            settings.put("input_format_values_interpret_expressions", "0");
            if (known.get().hasValuesTemplates()) {
                settings.put(DEDUCE_TEMPLATES, "0");
            } else {
                settings.remove(DEDUCE_TEMPLATES);   // a sender's 0, to a server that would refuse the name
            }
        }
        if (key.mergeable() && known.map(ServerVersion::hasAsyncInsert).orElse(false)) {
            settings.putIfAbsent("async_insert", "0");
        }
        StringBuilder b = new StringBuilder("/?query=")
                .append(enc(key.table().insertInto() + " FORMAT " + key.format().name()));
        settings.forEach((k, v) -> b.append('&').append(enc(k)).append('=').append(enc(v)));
        return b.toString();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
