package io.catflap.aggregator.ingest;

import io.catflap.aggregator.tls.TlsContext;
import io.catflap.protocol.RequestFrameDecoder;
import io.catflap.protocol.ResponseFrameEncoder;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.ssl.SslHandler;
import java.nio.channels.ClosedChannelException;

/**
 * Every data-port connection's pipeline, assembled in one place so that the path of a request reads from here.
 * From the socket inwards:
 *
 * <pre>
 * every connection:  [tls →] gate → read-deadline → unwritable → sniffer → pipeline-depth → idle
 * the sniffer becomes, for KITTEN:
 *                    kitten-handshake, and after MEOW:
 *                    frame-encoder, frame-decoder | pipeline-depth → idle | kitten-reply, kitten-insert → insert
 * or for HTTP:       http-codec | pipeline-depth → idle |
 *                    http-order → http-continue → http-reply, http-insert → insert → select
 * </pre>
 *
 * Inbound, bytes become protocol messages in front of {@code pipeline-depth} and {@code idle}, which count whole
 * requests in and whole answers out; behind them each protocol's insert decoder makes {@link Insert}s (or
 * {@link Refusal}s), which the one {@link InsertHandler} takes to batching or to a streamed insert. Its
 * {@link InsertReply}s go out through the protocol's reply encoder. HTTP requests that are not inserts pass the
 * insert handler to the select proxy.
 *
 * <p>With TLS, {@code tls} comes first, so every handler behind it sees plaintext: the read gate and the read
 * deadline count request bytes, not records. Its handshake is bounded by the read timeout; one that fails (a
 * plaintext sender, an untrusted client certificate, a stall) closes the connection, counted as a bad request
 * {@code tls_handshake}, and its exception ends at the sniffer, which is still in place.
 */
public final class Pipelines {
    /** Pipeline name of the TLS handler. */
    public static final String TLS = "tls";

    private final Ingest ingest;
    private final TlsContext tls;
    private final long readTimeoutMillis;
    private final long minReadRate;
    private final ReadDeadlineHandler.Timeouts readTimeouts;
    private final long unwritableTimeoutMillis;
    private final Counter unwritableClosed;
    private final long idleTimeoutMillis;
    private final Counter idleClosed;
    private final long garbageDelayMillis;

    /**
     * @param tls                     the data port's TLS, or null for plaintext
     * @param readTimeoutMillis       how long a request may take to arrive before the {@link ReadDeadlineHandler}
     *                                applies {@code minReadRate} (bytes per second); also how long a TLS handshake
     *                                may take
     * @param unwritableTimeoutMillis how long answers may stay unread ({@link UnwritableTimeoutHandler})
     * @param idleTimeoutMillis       how long a connection may idle between requests ({@link IdleTimeoutHandler})
     * @param garbageDelayMillis      how long a connection that speaks neither protocol waits for its answer
     *                                ({@link ProtocolSniffer})
     */
    public Pipelines(Ingest ingest, TlsContext tls, long readTimeoutMillis, long minReadRate,
                     ReadDeadlineHandler.Timeouts readTimeouts, long unwritableTimeoutMillis,
                     Counter unwritableClosed, long idleTimeoutMillis, Counter idleClosed, long garbageDelayMillis) {
        this.ingest = ingest;
        this.tls = tls;
        this.readTimeoutMillis = readTimeoutMillis;
        this.minReadRate = minReadRate;
        this.readTimeouts = readTimeouts;
        this.unwritableTimeoutMillis = unwritableTimeoutMillis;
        this.unwritableClosed = unwritableClosed;
        this.idleTimeoutMillis = idleTimeoutMillis;
        this.idleClosed = idleClosed;
        this.garbageDelayMillis = garbageDelayMillis;
    }

    Ingest ingest() {
        return ingest;
    }

    long garbageDelayMillis() {
        return garbageDelayMillis;
    }

    /** A new connection, before its first bytes said what it speaks. */
    public void connection(ChannelPipeline p) {
        if (tls != null) {
            SslHandler ssl = tls.serverHandler(p.channel(), readTimeoutMillis);
            ssl.handshakeFuture().addListener(f -> {
                if (!f.isSuccess() && !(f.cause() instanceof ClosedChannelException)) {   // a peer that left is not bad
                    ingest.bad().count("tls_handshake");
                }
            });
            p.addLast(TLS, ssl);
        }
        p.addLast(ReadGateHandler.NAME, new ReadGateHandler(ingest.gate(), ingest.bad()))
                .addLast(ReadDeadlineHandler.NAME, new ReadDeadlineHandler(readTimeoutMillis, minReadRate,
                        readTimeouts))
                .addLast(UnwritableTimeoutHandler.NAME, new UnwritableTimeoutHandler(unwritableTimeoutMillis,
                        unwritableClosed))
                .addLast("sniffer", new ProtocolSniffer(this))
                .addLast(PipelineDepthHandler.NAME, new PipelineDepthHandler(ingest.pipelineShare()))
                .addLast(IdleTimeoutHandler.NAME, new IdleTimeoutHandler(idleTimeoutMillis, idleClosed));
    }

    /** In place of the sniffer: a KITTEN connection's handshake. */
    void kittenHandshake(ChannelPipeline p, String sniffer) {
        p.replace(sniffer, "kitten-handshake", new KittenHandshakeHandler(this));
    }

    /**
     * In place of the handshake: a KITTEN connection's frames.
     *
     * @param grant what the connection may do
     * @param dedup the connection honours idempotency keys
     */
    void kittenFrames(ChannelPipeline p, String handshake, AccessPolicy.Grant grant, boolean dedup) {
        p.addAfter(handshake, "frame-encoder", new ResponseFrameEncoder())
                .addAfter("frame-encoder", "frame-decoder", new RequestFrameDecoder(ingest.maxRequestBytes()))
                .addAfter(IdleTimeoutHandler.NAME, "kitten-reply", KittenReplyEncoder.INSTANCE)
                .addAfter("kitten-reply", "kitten-insert",
                        new KittenInsertDecoder(ingest.maxRequestBytes(), grant, dedup))
                .addAfter("kitten-insert", "insert", new InsertHandler(ingest, Protocol.KITTEN));
        p.remove(handshake);
    }

    /** In place of the sniffer: an HTTP connection. */
    void http(ChannelPipeline p, String sniffer) {
        p.replace(sniffer, "http-codec", new HttpServerCodec());
        p.addAfter(IdleTimeoutHandler.NAME, "http-order", new PipelinedRequestGate())
                .addAfter("http-order", "http-continue", new HttpServerExpectContinueHandler())
                .addAfter("http-continue", "http-reply", HttpReplyEncoder.INSTANCE)
                .addAfter("http-reply", "http-insert", new HttpInsertDecoder(ingest))
                .addAfter("http-insert", "insert", new InsertHandler(ingest, Protocol.HTTP))
                .addAfter("insert", "select", ingest.selectHandler().get());
    }
}
