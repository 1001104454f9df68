package io.catflap.aggregator.batch;

import java.util.function.Consumer;

/**
 * Inserts sealed batches upstream. Answers every request of the batch through {@link Batch#answer}, then calls
 * {@code done} once with the batch's last error, or null when every request was committed.
 */
@FunctionalInterface
public interface BatchWriter {
    void write(Batch batch, Consumer<TableBatch.InsertError> done);
}
