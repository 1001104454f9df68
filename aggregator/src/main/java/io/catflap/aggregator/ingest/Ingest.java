package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.Ack;
import io.catflap.aggregator.batch.BatchKey;
import io.catflap.aggregator.batch.Batcher;
import io.catflap.aggregator.upstream.UpstreamInsert;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * What the connection handlers share: the read gate, the batcher, limits and counters. One per aggregator.
 *
 * @param inserts       where bodies too large for a batch or not mergeable are streamed
 * @param access        who may do what, on every path
 * @param selectHandler a new handler for everything on HTTP that is not an INSERT, one per connection
 * @param quarantine    senders whose rows are batched apart for a while
 * @param intake        each protocol's intake counters
 * @param unanswered    requests handed to batching whose ack has not run yet
 * @param pipelineShare how deep each connection may pipeline, shared out between them
 */
public record Ingest(ReadGate gate, Batcher batcher, UpstreamInsert inserts, BadRequests bad, AccessPolicy access,
                     int maxRequestBytes, int batchBytes, Supplier<ChannelHandler> selectHandler,
                     Quarantine quarantine, Map<Protocol, IntakeMeters> intake, AtomicInteger unanswered,
                     PipelineShare pipelineShare) {

    public Ingest(ReadGate gate, Batcher batcher, UpstreamInsert inserts, BadRequests bad, AccessPolicy access,
                  int maxRequestBytes, int batchBytes, Supplier<ChannelHandler> selectHandler,
                  Quarantine quarantine, MeterRegistry registry) {
        this(gate, batcher, inserts, bad, access, maxRequestBytes, batchBytes, selectHandler, quarantine,
                IntakeMeters.register(registry), new AtomicInteger(), new PipelineShare(PipelineShare.DEFAULT_BUDGET));
    }

    /**
     * Hands a request's rows (not released) from {@code sender} ({@link Protocol#sender}) to batching, to its
     * quarantined key while the {@link Quarantine} holds the sender; counts it as unanswered until {@code ack} ran.
     * Parks the connection of {@code ctx} while the key has too many sealed batches waiting (backpressure of one
     * table). Returns what {@link Batcher#submit} does.
     */
    long submit(ChannelHandlerContext ctx, Object sender, BatchKey key, ByteBuf body, Ack ack) {
        BatchKey to = quarantine.key(sender, key);
        long rows = batcher.submit(to, body, track(quarantine.watch(sender, ack)));
        ReadGateHandler.parkIfCongested(ctx, batcher, to);
        return rows;
    }

    /** Counts a request as unanswered until the returned ack ran (shutdown waits for it). */
    Ack track(Ack ack) {
        unanswered.incrementAndGet();
        return result -> {
            try {
                ack.complete(result);
            } finally {
                unanswered.decrementAndGet();
            }
        };
    }
}
