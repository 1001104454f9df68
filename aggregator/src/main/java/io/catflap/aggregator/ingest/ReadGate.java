package io.catflap.aggregator.ingest;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * At most {@code maxReaders} connections may be in the middle of reading a request at once; the others wait in
 * FIFO order with auto-read off, so their bytes stay in the kernel and TCP slows their senders. No permit is
 * granted while {@code pressure} says the batches downstream hold too much: a bound on all of them together,
 * since memory is one. Backpressure of one table is per connection instead: see
 * {@link ReadGateHandler#parkIfCongested}.
 *
 * <p>Small requests need no permit ({@link ReadGateHandler#FREE_REQUEST_BYTES}): their bytes come out of a budget of
 * {@code freeBudget} bytes instead, which is also closed while the pressure lasts.
 *
 * <p>Thread-safe; connections on every event loop share one gate.
 */
public final class ReadGate {
    /** A connection that waits for a permit. */
    interface Waiter {
        /** The permit was granted (called under the gate's lock: must only schedule work). */
        void granted();

        /** The gate closed: no permit will come. */
        void refused();
    }

    /** Outcome of {@link #acquire}. */
    enum Result { GRANTED, QUEUED, CLOSED }

    private final int maxReaders;
    private final long freeBudget;
    private final BooleanSupplier pressure;
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private final AtomicInteger parked = new AtomicInteger();
    private int inUse;
    private long freeHeld;
    private boolean closed;

    /** @param freeBudget bytes that requests being read without a permit may hold together */
    public ReadGate(int maxReaders, long freeBudget, BooleanSupplier pressure, MeterRegistry registry) {
        if (maxReaders < 1) {
            throw new IllegalArgumentException("maxReaders must be >= 1: " + maxReaders);
        }
        this.maxReaders = maxReaders;
        this.freeBudget = freeBudget;
        this.pressure = pressure;
        Gauge.builder("catflap.readers.in_use", this, ReadGate::inUse)
                .description("Connections reading a request (holding a read permit)").register(registry);
        Gauge.builder("catflap.readers.free_bytes", this, ReadGate::freeHeld).baseUnit("bytes")
                .description("Bytes held by small requests being read without a permit").register(registry);
        Gauge.builder("catflap.readers.waiting", this, ReadGate::waiting)
                .description("Connections waiting for a read permit, auto-read off").register(registry);
        Gauge.builder("catflap.readers.parked", parked, AtomicInteger::get)
                .description("Connections not read until their table's sealed batches drain, auto-read off")
                .register(registry);
    }

    /** Takes a permit now, or queues {@code w} to get one later (FIFO: nobody overtakes a waiter). */
    synchronized Result acquire(Waiter w) {
        if (closed) {
            return Result.CLOSED;
        }
        if (waiters.isEmpty() && inUse < maxReaders && !pressure.getAsBoolean()) {
            inUse++;
            return Result.GRANTED;
        }
        waiters.add(w);
        return Result.QUEUED;
    }

    /** Takes {@code bytes} of a request read without a permit; false when the budget or the pressure says no. */
    synchronized boolean takeFree(int bytes) {
        if (closed || freeHeld + bytes > freeBudget || pressure.getAsBoolean()) {
            return false;
        }
        freeHeld += bytes;
        return true;
    }

    /** Gives back what {@link #takeFree} took for a request that was read or abandoned. */
    synchronized void releaseFree(long bytes) {
        freeHeld -= bytes;
    }

    /** Gives a permit back and passes it on to the next waiter if the pressure allows. */
    synchronized void release() {
        inUse--;
        pump();
    }

    /** Removes a waiter that gave up (its connection closed); false if it was granted meanwhile. */
    synchronized boolean cancel(Waiter w) {
        return waiters.remove(w);
    }

    /** Grants permits to waiters while there are free ones and no pressure; call when the pressure eased. */
    public synchronized void pump() {
        while (!waiters.isEmpty() && inUse < maxReaders && !pressure.getAsBoolean()) {
            inUse++;
            waiters.poll().granted();
        }
    }

    /** Refuses every waiter and every later request for a permit; permits in use stay valid. */
    public synchronized void close() {
        closed = true;
        while (!waiters.isEmpty()) {
            waiters.poll().refused();
        }
    }

    public synchronized int inUse() {
        return inUse;
    }

    /** Bytes held by requests being read without a permit. */
    public synchronized long freeHeld() {
        return freeHeld;
    }

    public synchronized int waiting() {
        return waiters.size();
    }

    /** Counts connections parked by their table's backpressure ({@code +1} parked, {@code -1} resumed). */
    void parked(int delta) {
        parked.addAndGet(delta);
    }

    public int parked() {
        return parked.get();
    }

    public int maxReaders() {
        return maxReaders;
    }
}
