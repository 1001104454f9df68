package io.catflap.aggregator.ingest;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How deep one connection may pipeline while others wait for answers too: a fair share of {@link #budget} requests
 * between the connections that have any unanswered, at least one and at most
 * {@link PipelineDepthHandler#MAX_UNANSWERED}.
 *
 * <p>Why: a sender that never reads its answers cannot be told from one that does while its tiny answers fit in the
 * kernel buffers of both ends (a KITTEN answer is 9 bytes; those buffers take tens of thousands), so until then it is a
 * sender that pipelines as deep as it is allowed, and every request it has in a batch is one fewer round trip for
 * somebody else. Alone, a pipelining client (the client daemon, one connection per host) gets the full depth; among
 * hundreds of senders every connection gets one request in flight — what kittenhouse's one-request-at-a-time
 * connections give each of its senders — and a connection that floods gets no more than one that waits.
 *
 * <p>Thread-safe; one per aggregator. Each connection calls {@link #enter} when its first request is passed on
 * and {@link #leave} when its last answer is written, so a sender doing one request at a time costs two atomic
 * updates per request.
 */
public final class PipelineShare {
    /** Requests in flight shared out: a few hundred single-request senders already get one each. */
    static final int DEFAULT_BUDGET = 256;

    private final int budget;
    private final AtomicInteger answering = new AtomicInteger();

    PipelineShare(int budget) {
        if (budget < 1) {
            throw new IllegalArgumentException("budget must be >= 1: " + budget);
        }
        this.budget = budget;
    }

    /** Requests one connection may now have unanswered before the next is held back. */
    public int depth() {
        return Math.max(1, Math.min(PipelineDepthHandler.MAX_UNANSWERED, budget / Math.max(1, answering.get())));
    }

    /** Connections with at least one unanswered request. */
    public int answering() {
        return answering.get();
    }

    void enter() {
        answering.incrementAndGet();
    }

    void leave() {
        answering.decrementAndGet();
    }
}
