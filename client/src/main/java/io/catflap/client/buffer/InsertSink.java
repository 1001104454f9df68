package io.catflap.client.buffer;

import java.util.concurrent.CompletableFuture;

/** Where buffered batches go (the router in the daemon): completes normally once the rows are committed. */
@FunctionalInterface
public interface InsertSink {
    CompletableFuture<Void> send(String table, boolean rowBinary, byte[] body);
}
