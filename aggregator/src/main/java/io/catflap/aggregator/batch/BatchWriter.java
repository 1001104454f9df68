package io.catflap.aggregator.batch;

import java.util.function.Consumer;

/**
 * Inserts sealed batches upstream. Answers every request of the batch through {@link Batch#answer}, and calls
 * {@code done} once with the batch's last error, or null when every request was committed, just before it answers
 * the last of them: whatever a sender reads on {@code /status} or {@code /metrics} after its answer includes it.
 */
@FunctionalInterface
public interface BatchWriter {
    void write(Batch batch, Consumer<TableBatch.InsertError> done);
}
