package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.InsertResult;

/**
 * A request a decoder refused, answered in request order like any other. If an {@link Insert} of the same request
 * is being streamed, it is aborted and gets this answer.
 *
 * @param reason the {@code catflap.bad_requests} reason
 * @param close  the connection closes after the answer: what follows on it cannot be trusted to start a request
 */
public record Refusal(String reason, int status, String message, boolean close) implements AccessPolicy.Decision {
    InsertResult result() {
        return new InsertResult(status, message);
    }
}
