package io.catflap.loadtest;

import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.IntStream;

/**
 * Counters shared by all connections of a run. A run with several destinations also keeps one child per destination:
 * what a child records counts in the run's totals too, so the verifier and the totals read the parent alone.
 */
final class Stats {
    /** Distinct error messages kept; later new ones are counted under {@link #OTHER}. */
    private static final int MAX_MESSAGES = 100;
    private static final String OTHER = "(other errors)";
    /** Failed inserts whose rows are remembered, so that the verifier can tell which of them landed anyway. */
    private static final int MAX_FAILED_RANGES = 100_000;

    final LatencyHistogram insertLatency = new LatencyHistogram();
    final LatencyHistogram selectLatency = new LatencyHistogram();
    final LongAdder rowBytes = new LongAdder();
    final LongAdder reconnects = new LongAdder();
    final LongAdder idleConnected = new LongAdder();
    final LongAdder idleClosed = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder[] rowsAcked;
    private final LongAdder[] rowsUnacked;
    private final List<Queue<SeqRange>> failedRanges;
    private final AtomicInteger failedRangeCount = new AtomicInteger();
    private final Map<String, LongAdder> errorsByMessage = new ConcurrentHashMap<>();
    /** The run's totals this destination's counts go to as well; null for the totals themselves. */
    private final Stats total;
    private final List<Stats> destinations;

    Stats(int tables) {
        this(tables, 1);
    }

    /** The totals of a run that spreads its connections over {@code destinations} destinations. */
    Stats(int tables, int destinations) {
        this(tables, null, destinations);
    }

    private Stats(int tables, Stats total, int destinations) {
        this.total = total;
        rowsAcked = adders(tables);
        rowsUnacked = adders(tables);
        failedRanges = IntStream.range(0, tables).<Queue<SeqRange>>mapToObj(i -> new ConcurrentLinkedQueue<>()).toList();
        // One destination needs no children: its counts are the totals, recorded once.
        this.destinations = destinations == 1 ? List.of(this)
                : IntStream.range(0, destinations).mapToObj(i -> new Stats(tables, this, 1)).toList();
    }

    /** The counters of destination {@code index}; the totals themselves when there is one destination. */
    Stats destination(int index) {
        return destinations.get(index);
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    void insertAcked(int table, int rows, long micros) {
        rowsAcked[table].add(rows);
        insertLatency.record(micros);
        if (total != null) {
            total.insertAcked(table, rows, micros);
        }
    }

    void selectAnswered(long micros) {
        selectLatency.record(micros);
        if (total != null) {
            total.selectAnswered(micros);
        }
    }

    /** An insert that failed or got no answer: its rows may or may not have landed. */
    void insertFailed(int table, SeqRange rows, String message) {
        rowsUnacked[table].add(rows.count());
        if (failedRangeCount.getAndIncrement() < MAX_FAILED_RANGES) {
            failedRanges.get(table).add(rows);
        }
        countError(message);
        if (total != null) {
            total.insertFailed(table, rows, message);
        }
    }

    /** A failure without rows: a SELECT, a connection. */
    void error(String message) {
        countError(message);
        if (total != null) {
            total.error(message);
        }
    }

    private void countError(String message) {
        errors.increment();
        LongAdder counter = errorsByMessage.get(message);
        if (counter == null) {
            counter = errorsByMessage.size() < MAX_MESSAGES
                    ? errorsByMessage.computeIfAbsent(message, m -> new LongAdder())
                    : errorsByMessage.computeIfAbsent(OTHER, m -> new LongAdder());
        }
        counter.increment();
    }

    long requests() {
        return insertLatency.count() + selectLatency.count();
    }

    long errors() {
        return errors.sum();
    }

    long rowsAcked(int table) {
        return rowsAcked[table].sum();
    }

    long rowsUnacked(int table) {
        return rowsUnacked[table].sum();
    }

    /** The rows of every failed insert into {@code table}, or null if there were too many to remember. */
    List<SeqRange> failedRanges(int table) {
        return failedRangeCount.get() > MAX_FAILED_RANGES ? null : List.copyOf(failedRanges.get(table));
    }

    long rowsAcked() {
        long sum = 0;
        for (int i = 0; i < rowsAcked.length; i++) {
            sum += rowsAcked(i);
        }
        return sum;
    }

    Map<String, Long> errorsByMessage() {
        Map<String, Long> m = new TreeMap<>();
        errorsByMessage.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }
}
