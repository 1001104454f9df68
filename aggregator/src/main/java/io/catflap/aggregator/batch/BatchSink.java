package io.catflap.aggregator.batch;

/**
 * Where a {@link TableBatch} hands its sealed batches, each already counted as in flight: the sink tells the owner
 * when it was answered ({@link TableBatch#answered}).
 */
@FunctionalInterface
interface BatchSink {
    void write(Batch batch, TableBatch owner);
}
