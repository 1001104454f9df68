package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ReadGateTest {
    private final List<String> events = new ArrayList<>();

    private ReadGate.Waiter waiter(String name) {
        return new ReadGate.Waiter() {
            @Override
            public void granted() {
                events.add(name + " granted");
            }

            @Override
            public void refused() {
                events.add(name + " refused");
            }
        };
    }

    @Test
    void permitsAreBoundedAndPassedOnInFifoOrder() {
        ReadGate gate = new ReadGate(2, 0, () -> false, new SimpleMeterRegistry());
        assertEquals(ReadGate.Result.GRANTED, gate.acquire(waiter("a")));
        assertEquals(ReadGate.Result.GRANTED, gate.acquire(waiter("b")));
        assertEquals(ReadGate.Result.QUEUED, gate.acquire(waiter("c")));
        assertEquals(ReadGate.Result.QUEUED, gate.acquire(waiter("d")));
        assertEquals(2, gate.inUse());
        assertEquals(2, gate.waiting());
        gate.release();
        assertEquals(List.of("c granted"), events);
        gate.release();
        assertEquals(List.of("c granted", "d granted"), events);
        assertEquals(2, gate.inUse());
        assertEquals(0, gate.waiting());
    }

    @Test
    void nobodyOvertakesAWaiter() {
        AtomicBoolean pressure = new AtomicBoolean(true);
        ReadGate gate = new ReadGate(5, 0, pressure::get, new SimpleMeterRegistry());
        assertEquals(ReadGate.Result.QUEUED, gate.acquire(waiter("a")));
        pressure.set(false);
        assertEquals(ReadGate.Result.QUEUED, gate.acquire(waiter("b")), "a waits, so b queues behind it");
        gate.pump();
        assertEquals(List.of("a granted", "b granted"), events);
    }

    @Test
    void pressureStopsGrantsUntilPumped() {
        AtomicBoolean pressure = new AtomicBoolean();
        ReadGate gate = new ReadGate(1, 0, pressure::get, new SimpleMeterRegistry());
        gate.acquire(waiter("a"));
        gate.acquire(waiter("b"));
        pressure.set(true);
        gate.release();
        assertEquals(List.of(), events, "no grant under pressure");
        assertEquals(0, gate.inUse());
        pressure.set(false);
        gate.pump();
        assertEquals(List.of("b granted"), events);
    }

    @Test
    void cancelledWaitersAreSkippedAndCloseRefusesTheRest() {
        ReadGate gate = new ReadGate(1, 0, () -> false, new SimpleMeterRegistry());
        gate.acquire(waiter("a"));
        ReadGate.Waiter b = waiter("b");
        gate.acquire(b);
        gate.acquire(waiter("c"));
        assertEquals(true, gate.cancel(b));
        gate.close();
        assertEquals(List.of("c refused"), events);
        assertEquals(ReadGate.Result.CLOSED, gate.acquire(waiter("d")));
        assertEquals(1, gate.inUse(), "a permit in use stays valid");
    }
}
