package io.catflap.aggregator.batch;

/** How many active parts ClickHouse holds per table, as last read, for the {@link SealPolicy}. Thread-safe. */
public interface ActiveParts {
    /** ClickHouse's default parts_to_delay_insert. */
    int DEFAULT_PARTS_TO_DELAY_INSERT = 150;

    /** Nothing known: every table counts as having no parts. */
    ActiveParts NONE = new ActiveParts() {
        @Override
        public int fullestPartition(String table) {
            return 0;
        }

        @Override
        public int partsToDelayInsert() {
            return DEFAULT_PARTS_TO_DELAY_INSERT;
        }
    };

    /** Active parts in the fullest partition of {@code table} (as {@link BatchKey#tableName()}); 0 if not known. */
    int fullestPartition(String table);

    /** Active parts in one partition from which ClickHouse delays every insert into it (parts_to_delay_insert). */
    int partsToDelayInsert();
}
