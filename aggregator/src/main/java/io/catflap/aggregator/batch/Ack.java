package io.catflap.aggregator.batch;

/** Receives the one answer to one request; called exactly once, from any thread. */
@FunctionalInterface
public interface Ack {
    void complete(InsertResult result);
}
