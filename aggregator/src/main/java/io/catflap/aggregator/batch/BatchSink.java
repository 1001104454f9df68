package io.catflap.aggregator.batch;

/** Where a {@link TableBatch} hands its sealed batches. */
@FunctionalInterface
interface BatchSink {
    void write(Batch batch, TableBatch owner);
}
