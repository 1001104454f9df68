/**
 * The catflap aggregator: the Netty server next to ClickHouse. The packages follow the path of one row.
 *
 * <ol>
 *   <li>{@link io.catflap.aggregator.ingest}: accept and read; {@code Pipelines} assembles every connection.
 *       The {@code ProtocolSniffer} makes it KITTEN ({@code KittenHandshakeHandler}, the protocol module's frame
 *       codecs, {@code KittenInsertDecoder}) or HTTP ({@code HttpServerCodec}, {@code HttpInsertDecoder}); both
 *       decode into one {@code Insert} message, which the {@code InsertHandler} takes to batching or streams
 *       upstream; other HTTP requests go on to the {@code SelectProxyHandler}. The {@code ReadGate} lets at most
 *       {@code --max-readers} connections read a large request at once; the others keep auto-read off, so their
 *       bytes wait in the kernel.</li>
 *   <li>{@link io.catflap.aggregator.batch}: a request's rows are copied once into the open {@code TableBatch} of
 *       their {@code BatchKey} (credentials, table, columns, format, settings; its quarantined variant while the
 *       {@code Quarantine} holds their sender, after ClickHouse refused its rows), sealed when the key has no insert
 *       in flight and its flush gap passed ({@code SealPolicy}), when full ({@code --batch-bytes}), or at
 *       {@code --flush-interval}. {@code BatchMemory} bounds the bytes held; past it no read permit is
 *       granted.</li>
 *   <li>{@link io.catflap.aggregator.upstream}: sealed batches become {@code UpstreamInsert}s on the insert
 *       {@code UpstreamPool} (at most {@code --max-inserts}); {@code ErrorPolicy}, one table of ClickHouse's
 *       codes, tells data errors (split the batch, so only the bad sender gets the error) from transient ones
 *       (retry until the deadline), a batch too big for its partitions (split by size) and errors of the whole
 *       key (answer at once), and gives each answer ClickHouse's status. Inserts of split parts wait for their
 *       table's {@code SplitBudget} ({@code --max-split-inserts}).</li>
 *   <li>Ack: every request of a batch is answered with ClickHouse's reply, in request order per connection
 *       ({@code InOrderResponder}).</li>
 *   <li>{@link io.catflap.aggregator.select}: everything that is not an INSERT is proxied on the separate select
 *       pool and streamed back with backpressure.</li>
 *   <li>{@link io.catflap.aggregator.admin}: {@code /metrics}, {@code /health}, {@code /status} and the status
 *       page on the admin port.</li>
 * </ol>
 *
 * <p>{@link io.catflap.aggregator.AggregatorMain} is the command line; {@link io.catflap.aggregator.Aggregator}
 * wires the parts and owns the shutdown order.
 */
package io.catflap.aggregator;
