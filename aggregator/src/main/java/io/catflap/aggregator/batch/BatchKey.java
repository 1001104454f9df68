package io.catflap.aggregator.batch;

import io.catflap.protocol.TableSpec;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What rows must share to travel in one INSERT: the ClickHouse credentials they arrived with (rows of one user
 * never travel under another's), the target table and columns, the format and every setting that changes how
 * ClickHouse parses them.
 *
 * @param user     ClickHouse user, or null for the aggregator's own upstream credentials
 * @param password its password (null with a null user)
 * @param table    validated target; a shard suffix is dropped (rows for every shard of a table travel together)
 * @param format   the body's format
 * @param settings URL settings sent with the INSERT (names validated), and under the sender's own credentials its
 *                 {@code quota_key}, in a stable order
 * @param contentEncoding the body's Content-Encoding (gzip, deflate), or null; encoded bodies are never merged
 */
public record BatchKey(String user, String password, TableSpec table, InsertFormat format,
                       SortedMap<String, String> settings, String contentEncoding) {

    public BatchKey {
        if (table.shard() != null) {
            table = new TableSpec(table.database(), table.table(), table.columns(), null);
        }
        settings = new TreeMap<>(settings);
    }

    /** A key for the aggregator's own credentials and no extra settings (the KITTEN path). */
    public static BatchKey of(TableSpec table, InsertFormat format) {
        return new BatchKey(null, null, table, format, Collections.emptySortedMap(), null);
    }

    /** Whether the rows run under the aggregator's own credentials rather than their sender's. */
    public boolean aggregatorCredentials() {
        return user == null;
    }

    /** Whether requests of this key may share a batch: a concatenable format, not compressed. */
    public boolean mergeable() {
        return format.mergeable() && contentEncoding == null && !settings.containsKey("decompress");
    }

    /** The table as shown in metrics and status: {@code db.table} without columns. */
    public String tableName() {
        TableSpec t = new TableSpec(table.database(), table.table(), List.of(), null);
        return t.withoutShard();
    }

    @Override
    public String toString() {
        return "BatchKey[user=" + user + ", table=" + table.withoutShard() + ", format=" + format.name()
                + ", settings=" + settings + (contentEncoding == null ? "" : ", encoding=" + contentEncoding) + "]";
    }
}
