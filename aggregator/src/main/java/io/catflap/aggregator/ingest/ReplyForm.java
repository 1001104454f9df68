package io.catflap.aggregator.ingest;

/**
 * How an HTTP request asked to be answered, besides its result.
 *
 * @param compressed ClickHouse's {@code compress=1}: an error text comes in ClickHouse's compressed framing
 *                   ({@link CompressedBlocks})
 * @param queryId    the request's {@code query_id}, named in the answer's {@code X-ClickHouse-Query-Id} and given
 *                   to the insert's own upstream request when it has one; or null
 */
public record ReplyForm(boolean compressed, String queryId) {
    /** A plain answer, as every KITTEN request and every refusal gets. */
    public static final ReplyForm PLAIN = new ReplyForm(false, null);
}
