package io.catflap.aggregator.batch;

import io.catflap.protocol.TableSpec;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What rows must share to travel in one INSERT: the ClickHouse credentials they arrived with (rows of one user
 * never travel under another's), the target table and columns, the format and every setting that changes how
 * ClickHouse parses them. A value: equal keys batch together.
 *
 * <ul>
 * <li>{@code user}: the ClickHouse user, or null for the aggregator's own upstream credentials; {@code password}
 *     its password (null with a null user);</li>
 * <li>{@code table}: the validated target; a shard suffix is dropped (rows for every shard of a table travel
 *     together);</li>
 * <li>{@code format}: the body's format;</li>
 * <li>{@code settings}: URL settings sent with the INSERT (names validated), and under the sender's own
 *     credentials its {@code quota_key}, in a stable order; with {@code session_id} the rows belong to the
 *     sender's session and are never merged;</li>
 * <li>{@code contentEncoding}: the body's Content-Encoding when it is not undone here (br, zstd ...), or null;
 *     such bodies go upstream as they came and are never merged.</li>
 * <li>{@code quarantined}: the rows come from senders whose rows ClickHouse refused a short while ago; they are
 *     batched apart from everyone else's, so that a batch split to find their bad rows holds no good sender's.</li>
 * </ul>
 */
public final class BatchKey {
    private final String user;
    private final String password;
    private final TableSpec table;
    private final InsertFormat format;
    private final SortedMap<String, String> settings;
    private final String contentEncoding;
    private final boolean quarantined;
    /** Computed once: every request looks its key up in the batcher's map. */
    private final int hash;
    private final String tableName;

    public BatchKey(String user, String password, TableSpec table, InsertFormat format,
                    SortedMap<String, String> settings, String contentEncoding) {
        this(user, password, table, format, settings, contentEncoding, false);
    }

    private BatchKey(String user, String password, TableSpec table, InsertFormat format,
                     SortedMap<String, String> settings, String contentEncoding, boolean quarantined) {
        this.user = user;
        this.password = password;
        this.table = table.shard() == null ? table
                : new TableSpec(table.database(), table.table(), table.columns(), null);
        this.format = format;
        this.settings = Collections.unmodifiableSortedMap(new TreeMap<>(settings));
        this.contentEncoding = contentEncoding;
        this.quarantined = quarantined;
        this.hash = Objects.hash(user, password, this.table, format, this.settings, contentEncoding, quarantined);
        this.tableName = new TableSpec(table.database(), table.table(), List.of(), null).withoutShard();
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    public TableSpec table() {
        return table;
    }

    public InsertFormat format() {
        return format;
    }

    public SortedMap<String, String> settings() {
        return settings;
    }

    public String contentEncoding() {
        return contentEncoding;
    }

    /** A key for the aggregator's own credentials and no extra settings (the KITTEN path). */
    public static BatchKey of(TableSpec table, InsertFormat format) {
        return new BatchKey(null, null, table, format, Collections.emptySortedMap(), null);
    }

    /** Whether the rows run under the aggregator's own credentials rather than their sender's. */
    public boolean aggregatorCredentials() {
        return user == null;
    }

    /** Whether requests of this key may share a batch: a concatenable format, not compressed, not in a session. */
    public boolean mergeable() {
        return format.mergeable() && contentEncoding == null && !settings.containsKey("decompress")
                && !settings.containsKey("session_id");
    }

    /** This key for bodies whose compression was undone: no Content-Encoding, no {@code decompress}. */
    public BatchKey decoded() {
        TreeMap<String, String> plain = new TreeMap<>(settings);
        plain.remove("decompress");
        return new BatchKey(user, password, table, format, plain, null, quarantined);
    }

    /** This key for rows of quarantined senders: the same INSERT, a batch of its own. */
    public BatchKey quarantined() {
        return quarantined ? this : new BatchKey(user, password, table, format, settings, contentEncoding, true);
    }

    /** The table as shown in metrics and status: {@code db.table} without columns. */
    public String tableName() {
        return tableName;
    }

    @Override
    public boolean equals(Object o) {
        return o == this || o instanceof BatchKey k && hash == k.hash && table.equals(k.table)
                && format.equals(k.format) && Objects.equals(user, k.user) && Objects.equals(password, k.password)
                && settings.equals(k.settings) && Objects.equals(contentEncoding, k.contentEncoding)
                && quarantined == k.quarantined;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return "BatchKey[user=" + user + ", table=" + table.withoutShard() + ", format=" + format.name()
                + ", settings=" + settings + (contentEncoding == null ? "" : ", encoding=" + contentEncoding)
                + (quarantined ? ", quarantined" : "") + "]";
    }
}
