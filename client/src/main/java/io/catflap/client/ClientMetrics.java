package io.catflap.client;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The daemon's meters, named for Prometheus ({@code catflap_client_*}). Per-table meters carry the table name as the
 * app sent it without its column list; the set of tables on a host is small and fixed, as in kittenhouse's own stats.
 * Counters are registered once per (name, tags) and cached.
 */
public final class ClientMetrics {
    private static final Map<String, String> HELP = Map.ofEntries(
            Map.entry("catflap.client.received.writes", "Writes accepted from apps"),
            Map.entry("catflap.client.received.bytes", "Bytes of rows accepted from apps"),
            Map.entry("catflap.client.received.rows", "VALUES rows accepted from apps"),
            Map.entry("catflap.client.refused.writes",
                    "Writes refused because a memory cap was reached (cap: table or memory)"),
            Map.entry("catflap.client.refused.bytes",
                    "Bytes refused because a memory cap was reached (cap: table or memory)"),
            Map.entry("catflap.client.flushed.batches", "Batches from memory committed by a destination"),
            Map.entry("catflap.client.flushed.bytes", "Bytes from memory committed by a destination"),
            Map.entry("catflap.client.rejected.bytes",
                    "Bytes from memory dropped because the destination rejected the rows"),
            Map.entry("catflap.client.udp.dropped", "UDP packets dropped"),
            Map.entry("catflap.client.send.errors", "Failed sends to a destination, before retries"),
            Map.entry("catflap.client.destination.sent.batches", "Batches sent to a destination, retries included"),
            Map.entry("catflap.client.destination.acked.batches", "Batches a destination committed"));

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public ClientMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /**
     * The meters of writes accepted from apps for {@code table} in {@code mode} (memory, persistent, debug or udp).
     * Callers keep them for a table they write to again and again: looking meters up costs more than counting.
     */
    public Received received(String table, String mode) {
        String t = tableName(table);
        return new Received(counter("catflap.client.received.writes", "table", t, "mode", mode),
                counter("catflap.client.received.bytes", "table", t, "mode", mode),
                counter("catflap.client.received.rows", "table", t, "mode", mode));
    }

    /** Writes, bytes and rows accepted for one table in one mode. */
    public record Received(Counter writes, Counter bytes, Counter rows) {
        /**
         * Counts one write; rows are counted for VALUES only ({@code rowCount} &lt; 0 for RowBinary, whose row
         * boundaries need the table's schema).
         */
        public void add(int byteCount, int rowCount) {
            writes.increment();
            bytes.increment(byteCount);
            if (rowCount >= 0) {
                rows.increment(rowCount);
            }
        }
    }

    /**
     * A write refused by a memory cap (kittenhouse's "buffer overflow"): {@code cap} is {@code table} (the table's
     * buffer is full) or {@code memory} (all buffers together are).
     */
    public void refused(String table, String cap, int bytes) {
        String t = tableName(table);
        counter("catflap.client.refused.writes", "table", t, "cap", cap).increment();
        counter("catflap.client.refused.bytes", "table", t, "cap", cap).increment(bytes);
    }

    /** A batch from memory delivered (the destination committed it). */
    public void flushed(String table, int bytes) {
        String t = tableName(table);
        counter("catflap.client.flushed.batches", "table", t).increment();
        counter("catflap.client.flushed.bytes", "table", t).increment(bytes);
    }

    /** A batch from memory the destination rejected as bad data: it is dropped, as retrying cannot succeed. */
    public void rejected(String table, int bytes) {
        counter("catflap.client.rejected.bytes", "table", tableName(table)).increment(bytes);
    }

    /** A UDP packet that was not accepted; reason is bad_crc, too_short, no_table, bad_table or refused (buffer full). */
    public void udpDropped(String reason) {
        counter("catflap.client.udp.dropped", "reason", reason).increment();
    }

    /** A batch (from memory or the persistent log, first send or retry) sent to a destination. */
    public void sent(String destination) {
        counter("catflap.client.destination.sent.batches", "destination", destination).increment();
    }

    /** A batch a destination committed: with {@link #sent}, where the load goes and where it lands. */
    public void acked(String destination) {
        counter("catflap.client.destination.acked.batches", "destination", destination).increment();
    }

    /** A failed send to a destination (error answer or I/O), before any retry. */
    public void sendError(String destination, String kind) {
        counter("catflap.client.send.errors", "destination", destination, "kind", kind).increment();
    }

    private Counter counter(String name, String... tags) {
        return counters.computeIfAbsent(name + '\0' + String.join("\0", tags),
                k -> Counter.builder(name).description(HELP.get(name)).tags(tags).register(registry));
    }

    /** {@code table} without its column list and surrounding blanks. */
    public static String tableName(String table) {
        int paren = table.indexOf('(');
        return (paren >= 0 ? table.substring(0, paren) : table).strip();
    }
}
