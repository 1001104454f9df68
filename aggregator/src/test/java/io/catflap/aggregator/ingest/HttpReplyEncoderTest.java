package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.catflap.aggregator.CompressedBodies;
import io.catflap.aggregator.batch.InsertResult;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Insert answers as ClickHouse writes them over HTTP, plain or in its compressed framing. */
class HttpReplyEncoderTest {
    private static final InsertResult BAD_ROW = new InsertResult(400,
            "Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected \\t before: x", 27);
    private final EmbeddedChannel ch = new EmbeddedChannel(HttpReplyEncoder.INSTANCE);

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
    }

    private FullHttpResponse answer(InsertResult result, ReplyForm form) {
        ch.writeOutbound(new InsertReply(result, false, form));
        return assertInstanceOf(FullHttpResponse.class, ch.readOutbound());
    }

    @Test
    void anErrorIsItsTextAndLineFeed() {
        FullHttpResponse r = answer(BAD_ROW, ReplyForm.PLAIN);
        try {
            assertEquals(400, r.status().code());
            assertEquals(BAD_ROW.message() + "\n", r.content().toString(StandardCharsets.UTF_8));
            assertNull(r.headers().get(HttpReplyEncoder.EXCEPTION_CODE), "18.16's spelling comes without it");
            assertEquals(r.content().readableBytes(), r.headers().getInt(HttpHeaderNames.CONTENT_LENGTH));
            assertNull(r.headers().get(HttpReplyEncoder.QUERY_ID), "no query_id was given");
            assertFalse(r.headers().contains("X-ClickHouse-Summary"), "ClickHouse 18.16 sends none");
        } finally {
            r.release();
        }
    }

    /** Where ClickHouse spells errors as servers that send the header do, the answer names the code too. */
    @Test
    void anErrorInTheCurrentSpellingNamesItsCode() {
        FullHttpResponse r = answer(new InsertResult(400, "Code: 27. DB::Exception: Cannot parse input", 27),
                ReplyForm.PLAIN);
        try {
            assertEquals("27", r.headers().get(HttpReplyEncoder.EXCEPTION_CODE));
        } finally {
            r.release();
        }
    }

    @Test
    void withCompressTheErrorTextIsOneCompressedBlock() {
        FullHttpResponse r = answer(BAD_ROW, new ReplyForm(true, null));
        try {
            assertEquals(400, r.status().code());
            assertEquals(BAD_ROW.message() + "\n", CompressedBodies.decompress(ByteBufUtil.getBytes(r.content())));
            assertEquals(r.content().readableBytes(), r.headers().getInt(HttpHeaderNames.CONTENT_LENGTH));
        } finally {
            r.release();
        }
    }

    @Test
    void successIsEmptyEvenCompressedAndNamesTheQueryId() {
        FullHttpResponse r = answer(InsertResult.OK, new ReplyForm(true, "q-7"));
        try {
            assertEquals(200, r.status().code());
            assertEquals(0, r.content().readableBytes(), "ClickHouse writes no block for an empty answer");
            assertEquals("q-7", r.headers().get(HttpReplyEncoder.QUERY_ID));
            assertNull(r.headers().get(HttpReplyEncoder.EXCEPTION_CODE));
        } finally {
            r.release();
        }
    }

    @Test
    void catflapsOwnErrorsCarryNoCode() {
        FullHttpResponse r = answer(new InsertResult(503, "catflap is shutting down"), ReplyForm.PLAIN);
        try {
            assertEquals(503, r.status().code());
            assertNull(r.headers().get(HttpReplyEncoder.EXCEPTION_CODE));
        } finally {
            r.release();
        }
    }
}
