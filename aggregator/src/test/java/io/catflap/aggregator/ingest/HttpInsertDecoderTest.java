package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.CompressedBodies;
import io.catflap.aggregator.batch.InsertFormat;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What each kind of HTTP request decodes into: an {@link Insert}, its streamed rest, a {@link Refusal}, or itself. */
class HttpInsertDecoderTest {
    private static final int BATCH_BYTES = 64;
    private static final int MAX_REQUEST_BYTES = 256;

    private EmbeddedChannel ch = channel(AccessPolicy.open());

    private static EmbeddedChannel channel(AccessPolicy access) {
        return new EmbeddedChannel(new HttpInsertDecoder(
                new Ingest(null, null, null, null, access, MAX_REQUEST_BYTES, BATCH_BYTES, null, null,
                        new SimpleMeterRegistry())));
    }

    /** A channel whose aggregator takes the tokens of {@code lines} and runs as ClickHouse user "agg". */
    private void tokens(String... lines) {
        ch.finishAndReleaseAll();
        ch = channel(new AccessPolicy(TokenFile.parse(List.of(lines)), "agg", "pw"));
    }

    private static HttpRequest request(HttpMethod method, String uri, String token) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
        if (token != null) {
            r.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
        }
        return r;
    }

    @AfterEach
    void releaseAll() {
        ch.finishAndReleaseAll();
    }

    private static HttpRequest post(String uri) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri);
        r.headers().set("X-ClickHouse-User", "u");
        return r;
    }

    private static HttpContent chunk(String s) {
        return new DefaultHttpContent(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
    }

    private static LastHttpContent last(String s) {
        return new DefaultLastHttpContent(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
    }

    private static String text(ByteBuf b) {
        return b.toString(StandardCharsets.UTF_8);
    }

    /** The one message the channel passed on, taken out of it; the caller releases it. */
    private <T> T only(Class<T> type) {
        Object msg = ch.readInbound();
        assertNull(ch.readInbound(), "one message only");
        return assertInstanceOf(type, msg);
    }

    @Test
    void anInsertInTheQueryParameterBecomesOneWholeInsert() {
        ch.writeInbound(post("/?query=INSERT%20INTO%20db.t%20FORMAT%20CSV&max_threads=2"), chunk("1,2\n"),
                last("3,4\n"));
        Insert insert = only(Insert.class);
        try {
            assertTrue(insert.whole());
            assertTrue(insert.batchable());
            assertEquals("1,2\n3,4\n", text(insert.content()));
            assertEquals("db.t", insert.key().table().withoutShard());
            assertEquals(InsertFormat.named("CSV"), insert.key().format());
            assertEquals("2", insert.key().settings().get("max_threads"), "URL settings go with the insert");
            assertEquals("u", insert.key().user());
            assertFalse(insert.closeAfter());
        } finally {
            insert.release();
        }
    }

    @Test
    void rowsInTheQueryParameterComeBeforeTheBodysOnANewLine() {
        ch.writeInbound(post("/?query=INSERT%20INTO%20t%20VALUES%20(1)"), last("(2)"));
        Insert insert = only(Insert.class);
        assertEquals(" (1)\n(2)", text(insert.content()));
        insert.release();
    }

    @Test
    void aStatementInTheBodyTrickledByteByByteIsFound() {
        ch.writeInbound(post("/"));
        for (byte b : "INSERT INTO db.t (a, b) FORMAT TSV\n1\t2\n".getBytes(StandardCharsets.UTF_8)) {
            ch.writeInbound(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[] {b})));
        }
        assertNull(ch.readInbound(), "nothing is handed on before the body ended");
        ch.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT);
        Insert insert = only(Insert.class);
        assertEquals("1\t2\n", text(insert.content()));
        assertEquals(InsertFormat.named("TSV"), insert.key().format());
        assertEquals(List.of("a", "b"), insert.key().table().columns());
        insert.release();
    }

    @Test
    void kittenhousesFormTakesItsFormatFromRowbinaryAndNoSettings() {
        ch.writeInbound(post("/?table=db.t(a,b)&rowbinary=1&persistent=1"), last("xx"));
        Insert insert = only(Insert.class);
        assertEquals(InsertFormat.ROW_BINARY, insert.key().format());
        assertTrue(insert.key().settings().isEmpty(), "kittenhouse's own parameters are not settings");
        insert.release();
    }

    @Test
    void aQueryPassesOnUnchanged() {
        HttpRequest get = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/?query=SELECT%201");
        ch.writeInbound(get, LastHttpContent.EMPTY_LAST_CONTENT);
        assertSame(get, ch.readInbound());
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, ch.readInbound());

        ch.writeInbound(post("/"), last("SELECT 1 FORMAT TSV"));
        assertInstanceOf(HttpRequest.class, ch.readInbound());
        LastHttpContent body = assertInstanceOf(LastHttpContent.class, ch.readInbound());
        assertEquals("SELECT 1 FORMAT TSV", text(body.content()), "the body read to look for an INSERT goes on");
        body.release();
    }

    /** The parameters are read as ClickHouse reads them, and a rewritten query keeps them so. */
    @Test
    void aSemicolonInAParameterIsPartOfIt() {
        HttpRequest get = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/?query=SELECT%20';'");
        ch.writeInbound(get, LastHttpContent.EMPTY_LAST_CONTENT);
        assertSame(get, ch.readInbound());
        assertEquals("/?query=SELECT%20%27%3B%27", get.uri());
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, ch.readInbound());
    }

    @Test
    void aBodyLargerThanABatchIsHandedOnAtOnceAndStreamed() {
        ch.writeInbound(post("/?query=INSERT%20INTO%20t%20FORMAT%20CSV"), chunk("a".repeat(40)));
        assertNull(ch.readInbound(), "held while it may still fit a batch");
        ch.writeInbound(chunk("b".repeat(40)));
        Insert insert = only(Insert.class);
        assertFalse(insert.whole());
        assertFalse(insert.batchable());
        assertEquals(80, insert.content().readableBytes());
        insert.release();
        ch.writeInbound(chunk("c"), last("d"));
        InsertBody more = assertInstanceOf(InsertBody.class, ch.readInbound());
        assertFalse(more.last());
        assertEquals("c", text(more.content()));
        more.release();
        InsertBody end = assertInstanceOf(InsertBody.class, ch.readInbound());
        assertTrue(end.last());
        end.release();
    }

    @Test
    void anUnmergeableInsertIsHandedOnBeforeItsBody() {
        HttpRequest req = post("/?query=INSERT%20INTO%20t%20FORMAT%20CSVWithNames");
        ch.writeInbound(req);
        Insert insert = only(Insert.class);
        assertFalse(insert.whole(), "a format with a header row cannot be merged: streamed as it arrives");
        insert.release();
    }

    @Test
    void aBodyOverTheLimitIsRefusedAndTheRestDropped() {
        ch.writeInbound(post("/?query=INSERT%20INTO%20t%20FORMAT%20CSV"), chunk("a".repeat(100)));
        only(Insert.class).release();
        ch.writeInbound(chunk("b".repeat(200)), last("c"));
        Refusal r = only(Refusal.class);
        assertEquals(413, r.status());
        assertTrue(r.close());
        ch.writeInbound(post("/?query=INSERT%20INTO%20t%20FORMAT%20CSV"), last("1\n"));
        assertNull(ch.readInbound(), "nothing more is read on a refused connection");
    }

    @Test
    void aDeclaredLengthOverTheLimitIsRefusedBeforeTheBody() {
        HttpRequest req = post("/?query=INSERT%20INTO%20t%20FORMAT%20CSV");
        req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, MAX_REQUEST_BYTES + 1);
        ch.writeInbound(req);
        assertEquals(413, only(Refusal.class).status());
    }

    @Test
    void aMalformedChunkedBodyIsRefusedAndNothingInserted() {
        ch.writeInbound(post("/?query=INSERT%20INTO%20t%20FORMAT%20CSV"), chunk("1,2\n"));
        LastHttpContent broken = last("");
        broken.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("invalid chunk size")));
        ch.writeInbound(broken);
        Refusal r = only(Refusal.class);
        assertEquals("bad_body_encoding", r.reason());
        assertTrue(r.message().contains("invalid chunk size"), r.message());
    }

    @Test
    void withATokenFileEveryPathNeedsAToken() {
        tokens("s3cret db.* read");
        ch.writeInbound(request(HttpMethod.POST, "/?table=db.t(a)", null));
        assertEquals(401, only(Refusal.class).status());
        tokens("s3cret db.* read");
        ch.writeInbound(request(HttpMethod.GET, "/?query=SELECT%201", null));
        assertEquals(401, only(Refusal.class).status(), "a query too");
        tokens("s3cret db.* read");
        ch.writeInbound(post("/"));
        assertEquals(401, only(Refusal.class).status(), "ClickHouse credentials are no token");
        tokens("s3cret db.* read");
        ch.writeInbound(request(HttpMethod.POST, "/?table=other.t(a)", "s3cret"));
        assertEquals(403, only(Refusal.class).status());
    }

    @Test
    void aPingNeedsNoTokenAndTakesNoneUpstream() {
        tokens("s3cret db.*");
        HttpRequest ping = request(HttpMethod.GET, "/ping?user=x", "s3cret");
        ch.writeInbound(ping, LastHttpContent.EMPTY_LAST_CONTENT);
        assertSame(ping, ch.readInbound());
        assertEquals("/ping", ping.uri());
        assertFalse(ping.headers().contains(HttpHeaderNames.AUTHORIZATION));
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, ch.readInbound());
    }

    @Test
    void aReadTokensQueryInTheBodyPassesRewrittenAndAnInsertOnlyTokensIsRefused() {
        tokens("reader db.* read", "writer db.*");
        ch.writeInbound(request(HttpMethod.POST, "/", "reader"), last("SELECT 1"));
        HttpRequest passed = assertInstanceOf(HttpRequest.class, ch.readInbound());
        assertTrue(passed.uri().endsWith("readonly=1"), passed.uri());
        assertEquals("agg", passed.headers().get("X-ClickHouse-User"));
        ReferenceCountUtil.release(ch.readInbound());

        tokens("reader db.* read", "writer db.*");
        ch.writeInbound(request(HttpMethod.POST, "/", "writer"), last("SELECT 1"));
        assertEquals("forbidden_query", only(Refusal.class).reason());
        tokens("reader db.* read", "writer db.*");
        ch.writeInbound(request(HttpMethod.POST, "/", "reader"), last("INSERT INTO db.t SELECT 1"));
        assertEquals("forbidden_query", only(Refusal.class).reason(), "INSERT ... SELECT is no read");
    }

    @Test
    void underTheAggregatorsCredentialsOnlyHarmlessSettingsPass() {
        tokens("s3cret db.*");
        ch.writeInbound(request(HttpMethod.POST, "/?query=INSERT%20INTO%20db.t%20VALUES"
                + "&input_format_values_interpret_expressions=1", "s3cret"));
        Refusal r = only(Refusal.class);
        assertEquals(400, r.status());
        assertTrue(r.message().contains("input_format_values_interpret_expressions"), r.message());

        tokens("s3cret db.*");
        ch.writeInbound(request(HttpMethod.POST, "/?query=INSERT%20INTO%20db.t%20FORMAT%20CSV"
                + "&format_csv_delimiter=%3B&quota_key=q", "s3cret"), last("1;2\n"));
        Insert insert = only(Insert.class);
        assertNull(insert.key().user(), "the aggregator's own credentials");
        assertEquals(Map.of("format_csv_delimiter", ";"), insert.key().settings(), "quota_key is dropped");
        insert.release();
    }

    @Test
    void underTheSendersOwnCredentialsSettingsAndQuotaKeyGoUpstream() {
        ch.writeInbound(post("/?query=INSERT%20INTO%20db.t%20VALUES&input_format_values_interpret_expressions=1"
                + "&quota_key=q"), last("(now())"));
        Insert insert = only(Insert.class);
        assertEquals(Map.of("input_format_values_interpret_expressions", "1", "quota_key", "q"),
                insert.key().settings());
        insert.release();
    }

    @Test
    void theDatabaseHeaderQualifiesAnUnqualifiedTableBeforeTheTokenIsAsked() {
        tokens("s3cret logs.*");
        HttpRequest req = request(HttpMethod.POST, "/?query=INSERT%20INTO%20events%20FORMAT%20CSV", "s3cret");
        req.headers().set("X-ClickHouse-Database", "secret");
        ch.writeInbound(req);
        assertEquals("forbidden_table", only(Refusal.class).reason());

        tokens("s3cret logs.*");
        req = request(HttpMethod.POST, "/?query=INSERT%20INTO%20events%20FORMAT%20CSV", "s3cret");
        req.headers().set("X-ClickHouse-Database", "logs");
        ch.writeInbound(req, last("1\n"));
        Insert insert = only(Insert.class);
        assertEquals("logs.events", insert.key().table().withoutShard());
        insert.release();
    }

    @Test
    void aBadSettingNameOrTableIsRefused() {
        ch.writeInbound(post("/?query=INSERT%20INTO%20t%20FORMAT%20CSV&bad-name=1"));
        assertEquals("bad_setting", only(Refusal.class).reason());
        ch.finishAndReleaseAll();
        ch = channel(AccessPolicy.open());
        ch.writeInbound(post("/?table=db.t(a"));
        assertEquals("bad_table", only(Refusal.class).reason());
    }

    @Test
    void connectionCloseIsCarriedToTheAnswer() {
        HttpRequest req = post("/?query=INSERT%20INTO%20t%20FORMAT%20CSV");
        req.headers().set(HttpHeaderNames.CONNECTION, "close");
        ch.writeInbound(req, last("1\n"));
        Insert insert = only(Insert.class);
        assertTrue(insert.closeAfter());
        insert.release();
    }

    /** Parameters about the answer are the aggregator's to honour, never settings that split batches. */
    @Test
    void answerParametersAreNotSettings() {
        ch.writeInbound(post("/?query=INSERT%20INTO%20t%20FORMAT%20CSV&compress=1&query_id=q-1&wait_end_of_query=1"
                + "&send_progress_in_http_headers=1&buffer_size=100&max_threads=2"), last("1\n"));
        Insert insert = only(Insert.class);
        assertEquals(new ReplyForm(true, "q-1"), insert.form());
        assertEquals(Map.of("max_threads", "2"), insert.key().settings());
        assertTrue(insert.batchable());
        insert.release();
    }

    /** A session's rows go alone, with its parameters; an unqualified name may be its temporary table. */
    @Test
    void anInsertInASessionIsNeverMerged() {
        ch.writeInbound(post("/?query=INSERT%20INTO%20tmp%20FORMAT%20CSV&session_id=s1&session_timeout=60"
                + "&database=db"));
        Insert insert = only(Insert.class);
        assertFalse(insert.batchable(), "handed on before its body, to be streamed");
        assertEquals(Map.of("session_id", "s1", "session_timeout", "60", "database", "db"), insert.key().settings());
        assertEquals(null, insert.key().table().database(), "resolved by ClickHouse in the session");
        insert.release();
        ch.writeInbound(last("1\n"));
        InsertBody rows = only(InsertBody.class);
        assertTrue(rows.last());
        rows.release();
        ch.writeInbound(post("/?query=INSERT%20INTO%20tmp%20FORMAT%20CSV&query_id=%0Aevil"));
        assertEquals("bad_query_id", only(Refusal.class).reason());
    }

    @Test
    void aDecompressBodyIsUndoneAndMerged() throws Exception {
        byte[] blocks = CompressedBodies.blocks("1,2\n3,4\n".getBytes(StandardCharsets.UTF_8), 4);
        ch.writeInbound(post("/?query=INSERT%20INTO%20t%20FORMAT%20CSV&decompress=1"),
                new DefaultHttpContent(Unpooled.copiedBuffer(blocks, 0, 30)),
                new DefaultLastHttpContent(Unpooled.copiedBuffer(blocks, 30, blocks.length - 30)));
        Insert insert = only(Insert.class);
        assertEquals("1,2\n3,4\n", text(insert.content()));
        assertTrue(insert.batchable());
        assertFalse(insert.key().settings().containsKey("decompress"));
        insert.release();
    }

    @Test
    void aGzipBodyIsUndoneAndAnUnknownEncodingGoesAsItCame() throws Exception {
        HttpRequest gzip = post("/?query=INSERT%20INTO%20t%20FORMAT%20CSV");
        gzip.headers().set(HttpHeaderNames.CONTENT_ENCODING, "gzip");
        ch.writeInbound(gzip, new DefaultLastHttpContent(Unpooled.wrappedBuffer(
                CompressedBodies.gzip("5,6\n".getBytes(StandardCharsets.UTF_8)))));
        Insert insert = only(Insert.class);
        assertEquals("5,6\n", text(insert.content()));
        assertNull(insert.key().contentEncoding());
        assertTrue(insert.batchable());
        insert.release();

        HttpRequest br = post("/?query=INSERT%20INTO%20t%20FORMAT%20CSV");
        br.headers().set(HttpHeaderNames.CONTENT_ENCODING, "br");
        ch.writeInbound(br);
        Insert streamed = only(Insert.class);
        assertEquals("br", streamed.key().contentEncoding(), "no decoder here: ClickHouse reads it");
        assertFalse(streamed.batchable());
        streamed.release();
    }

    @Test
    void aCompressedBombIsRefusedWith413() throws Exception {
        byte[] bomb = CompressedBodies.gzip(new byte[MAX_REQUEST_BYTES * 100]);
        HttpRequest req = post("/?query=INSERT%20INTO%20t%20FORMAT%20CSV");
        req.headers().set(HttpHeaderNames.CONTENT_ENCODING, "gzip");
        ch.writeInbound(req, new DefaultLastHttpContent(Unpooled.wrappedBuffer(bomb)));
        Refusal r = only(Refusal.class);
        assertEquals(413, r.status());
        assertTrue(r.message().contains("once decompressed"), r.message());
    }

    @Test
    void aCompressedBodyIsNotLookedIntoForAStatement() {
        HttpRequest req = post("/?decompress=1");
        ch.writeInbound(req, last("compressed bytes"));
        assertSame(req, ch.readInbound());
        LastHttpContent body = assertInstanceOf(LastHttpContent.class, ch.readInbound());
        assertEquals("compressed bytes", text(body.content()), "passed on as it came");
        body.release();
    }

    @Test
    void aMalformedHeadIsRefused() {
        HttpRequest req = post("/");
        req.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("header too long")));
        ch.writeInbound(req);
        Refusal r = only(Refusal.class);
        assertEquals(400, r.status());
        ReferenceCountUtil.release(ch.readInbound());
    }
}
