package io.catflap.aggregator.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IngestRatesTest {

    private static final long SECOND = 1_000_000_000L;

    private static Map<String, Object> snapshot(long aRows, long bRows) {
        return Map.of("tables", List.of(
                Map.of("table", "db.a", "rowsIn", aRows, "bytesIn", aRows * 10),
                Map.of("table", "db.b", "rowsIn", bRows, "bytesIn", bRows * 10)));
    }

    private static Map<?, ?> table(Map<String, Object> decorated, int i) {
        return (Map<?, ?>) ((List<?>) decorated.get("tables")).get(i);
    }

    @Test
    void averagesOverTheWindow() {
        IngestRates rates = new IngestRates();
        rates.sample(snapshot(100, 0), 0);
        rates.sample(snapshot(200, 0), SECOND);
        Map<String, Object> now = rates.decorate(snapshot(500, 40), 2 * SECOND);
        assertEquals(200.0, table(now, 0).get("rowsPerSecond"));
        assertEquals(2000.0, table(now, 0).get("bytesPerSecond"));
        assertEquals(20.0, table(now, 1).get("rowsPerSecond"));
        assertEquals(500L, table(now, 0).get("rowsIn"), "the source's own values are kept");
    }

    @Test
    void oldSamplesLeaveTheWindowAndNewTablesCountFromZero() {
        IngestRates rates = new IngestRates();
        rates.sample(Map.of("tables", List.of()), 0);
        for (int s = 1; s <= 20; s++) {
            rates.sample(Map.of("tables", List.of(Map.of("table", "db.a", "rowsIn", 1000L * s))), s * SECOND);
        }
        Map<String, Object> now = rates.decorate(
                Map.of("tables", List.of(Map.of("table", "db.a", "rowsIn", 21_000L))), 21 * SECOND);
        // The oldest sample kept is at 10 s (10 s window before the last sample): (21000 - 10000) / 11 s.
        assertEquals(1000.0, table(now, 0).get("rowsPerSecond"));

        IngestRates fresh = new IngestRates();
        fresh.sample(Map.of("tables", List.of()), 0);
        Map<String, Object> first = fresh.decorate(
                Map.of("tables", List.of(Map.of("table", "db.new", "rowsIn", 50L))), 2 * SECOND);
        assertEquals(25.0, table(first, 0).get("rowsPerSecond"));
    }

    @Test
    void noRateBeforeHalfASecondOfHistory() {
        IngestRates rates = new IngestRates();
        assertEquals(0.0, table(rates.decorate(snapshot(100, 0), 0), 0).get("rowsPerSecond"));
        rates.sample(snapshot(0, 0), 0);
        assertEquals(0.0, table(rates.decorate(snapshot(100, 0), SECOND / 10), 0).get("rowsPerSecond"));
    }
}
