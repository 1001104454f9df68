package io.catflap.client;

import io.catflap.testkit.ClickHouseServer;

import java.util.Map;
import java.util.TreeMap;

/** What landed in a test table with an {@code id} column: how many times each id is there. */
public final class LandedIds {
    private LandedIds() {
    }

    public static Map<Long, Long> in(ClickHouseServer clickhouse, String table) {
        Map<Long, Long> counts = new TreeMap<>();
        for (String line : clickhouse.query("SELECT id, count() FROM " + table + " GROUP BY id FORMAT TSV").split("\n")) {
            if (!line.isEmpty()) {
                String[] f = line.split("\t");
                counts.put(Long.parseLong(f[0]), Long.parseLong(f[1]));
            }
        }
        return counts;
    }
}
