package io.catflap.client;

import io.catflap.client.kitten.InsertException;
import io.catflap.client.kitten.KittenDestination;
import io.catflap.client.persist.PersistSink;
import io.catflap.client.persist.RowsRejectedException;
import io.catflap.client.route.Router;

import java.util.concurrent.CompletableFuture;

/**
 * Delivers the persistent log's batches through the router, telling the log's sender which failures are the rows'
 * fault ({@link RowsRejectedException}: it isolates and drops the bad record) and which are worth retrying.
 */
final class RoutedPersistSink implements PersistSink {
    private final Router router;

    RoutedPersistSink(Router router) {
        this.router = router;
    }

    @Override
    public CompletableFuture<Void> send(String table, boolean rowBinary, byte[] body, byte[] idempotencyKey) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        router.insert(table, rowBinary, body, idempotencyKey).whenComplete((v, err) -> {
            if (err == null) {
                result.complete(null);
                return;
            }
            Throwable cause = KittenDestination.unwrap(err);
            result.completeExceptionally(cause instanceof InsertException e && e.rowsRejected()
                    ? new RowsRejectedException(e.getMessage()) : cause);
        });
        return result;
    }
}
