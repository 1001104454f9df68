package io.catflap.aggregator.batch;

/**
 * Where RowBinary bodies are checked against their table's columns: the {@link RowBinaryLayout} of a key's columns,
 * once it is known. A RowBinary body whose layout is not known (yet) is inserted on its own, never merged blind.
 */
public interface RowBinaryLayouts {
    /** Knows no layout: every RowBinary body is inserted on its own. */
    RowBinaryLayouts NONE = new RowBinaryLayouts() {
        @Override
        public RowBinaryLayout layout(BatchKey key) {
            return null;
        }

        @Override
        public void stale(BatchKey key) {
        }
    };

    /**
     * The layout of {@code key}'s columns if known now, else null; when not known, it may be looked up meanwhile
     * for later requests. Called on event loops: never blocks.
     */
    RowBinaryLayout layout(BatchKey key);

    /** The layout of {@code key} may be out of date (a body did not fit it, an insert failed): look again. */
    void stale(BatchKey key);
}
