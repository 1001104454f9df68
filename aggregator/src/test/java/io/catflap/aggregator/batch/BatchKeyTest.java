package io.catflap.aggregator.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.catflap.protocol.TableSpec;
import org.junit.jupiter.api.Test;

class BatchKeyTest {

    @Test
    void rowsForEveryShardOfATableShareAKey() {
        BatchKey sharded = BatchKey.of(TableSpec.parse("db.t@2(a, b)"), InsertFormat.VALUES);
        assertNull(sharded.table().shard());
        assertEquals(BatchKey.of(TableSpec.parse("db.t(a,b)"), InsertFormat.VALUES), sharded);
    }
}
