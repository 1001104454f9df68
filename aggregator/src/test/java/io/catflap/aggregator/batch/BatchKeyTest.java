package io.catflap.aggregator.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.protocol.TableSpec;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BatchKeyTest {

    @Test
    void rowsForEveryShardOfATableShareAKey() {
        BatchKey sharded = BatchKey.of(TableSpec.parse("db.t@2(a, b)"), InsertFormat.VALUES);
        assertNull(sharded.table().shard());
        assertEquals(BatchKey.of(TableSpec.parse("db.t(a,b)"), InsertFormat.VALUES), sharded);
    }

    @Test
    void compressedOrSessionBoundRowsAreNotMergedUntilDecoded() {
        TableSpec t = TableSpec.parse("db.t(a)");
        BatchKey blocks = new BatchKey("u", "p", t, InsertFormat.VALUES, new TreeMap<>(Map.of("decompress", "1",
                "max_threads", "2")), null);
        assertFalse(blocks.mergeable());
        assertEquals(new BatchKey("u", "p", t, InsertFormat.VALUES, new TreeMap<>(Map.of("max_threads", "2")), null),
                blocks.decoded());
        BatchKey gzip = new BatchKey("u", "p", t, InsertFormat.VALUES, new TreeMap<>(), "gzip");
        assertFalse(gzip.mergeable());
        assertTrue(gzip.decoded().mergeable());
        BatchKey session = new BatchKey("u", "p", t, InsertFormat.VALUES, new TreeMap<>(Map.of("session_id", "s")),
                null);
        assertFalse(session.mergeable());
    }

    @Test
    void aQuarantinedKeyIsTheSameInsertInABatchOfItsOwn() {
        BatchKey key = BatchKey.of(TableSpec.parse("db.t(a)"), InsertFormat.VALUES);
        BatchKey apart = key.quarantined();
        assertFalse(key.equals(apart));
        assertEquals(apart, key.quarantined());
        assertEquals(apart.hashCode(), key.quarantined().hashCode());
        assertEquals(apart, apart.quarantined());
        assertEquals(key.table(), apart.table());
        assertEquals(key.tableName(), apart.tableName());
        assertTrue(apart.mergeable());
    }
}
