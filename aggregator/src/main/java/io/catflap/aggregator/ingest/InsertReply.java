package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.InsertResult;

/**
 * The answer to one request, as the {@link InsertHandler} writes it; a protocol's reply encoder turns it into bytes.
 *
 * @param close the connection closes after this answer
 * @param form  how the request asked to be answered
 */
public record InsertReply(InsertResult result, boolean close, ReplyForm form) { }
