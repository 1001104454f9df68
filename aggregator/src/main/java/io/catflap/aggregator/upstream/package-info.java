/**
 * Steps 5 and 6 of the path of one row: sealed batches and streamed bodies go to ClickHouse over HTTP
 * ({@link io.catflap.aggregator.upstream.UpstreamInsert}), and every answer is classified
 * ({@link io.catflap.aggregator.upstream.ErrorPolicy}).
 *
 * <p>This path keeps its own Netty HTTP client ({@link io.catflap.aggregator.upstream.UpstreamPool},
 * {@link io.catflap.aggregator.upstream.UpstreamExchange}) instead of clickhouse-java's client-v2, which catflap uses
 * off this path (tests, the loadtest) and for ClickHouse's compression framing, because inserting a batch needs:
 * <ul>
 *   <li>No copy: a batch is one buffer from Netty's pooled allocator, and every attempt, retry or half of a split
 *       sends a retained slice of it ({@code Batch.slice}). client-v2 reads a body from an {@code InputStream} (or
 *       has it written onto its {@code OutputStream}): a copy through the heap per attempt.</li>
 *   <li>No thread per insert: the pool's channels live on the event loop group that also serves the senders'
 *       connections, so {@code --max-inserts} inserts in flight are channels, not threads waiting. client-v2 0.10
 *       sends through Apache HttpClient's classic, blocking API: one thread per request in flight.</li>
 *   <li>Streams at the sender's pace: a body that is not merged goes out chunk by chunk as it arrives, the upstream
 *       connection's writability pauses and resumes reading from the sender ({@code StreamedInsert}), and the
 *       timeout counts time without progress, not the age of the exchange.</li>
 *   <li>The raw answer: its HTTP status and the first 8 KiB of its body, with ClickHouse's code parsed from them
 *       ({@link io.catflap.aggregator.upstream.UpstreamReply}), and whether the whole request had gone out when the
 *       connection failed: an insert sent whole and left unanswered may be committed (retried only where ClickHouse
 *       deduplicates, else "outcome unknown"), one cut off earlier is retried safely. A reply never fails; no
 *       answer at all is status 0.</li>
 *   <li>A query string of its own: only the settings the server's version knows
 *       ({@link io.catflap.aggregator.upstream.ServerVersionProbe}; an unknown setting fails the whole request on
 *       old servers), and never {@code compress=1} on an answer catflap must read.</li>
 * </ul>
 */
package io.catflap.aggregator.upstream;
