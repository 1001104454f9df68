package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.catflap.aggregator.batch.Ack;
import io.catflap.aggregator.batch.BatchKey;
import io.catflap.aggregator.batch.InsertFormat;
import io.catflap.aggregator.batch.InsertResult;
import io.catflap.protocol.TableSpec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Which key a sender's rows go to, on a clock the test moves. */
class QuarantineTest {
    private static final BatchKey KEY = BatchKey.of(TableSpec.parse("db.t(a)"), InsertFormat.VALUES);
    private static final InsertResult BAD_ROW = new InsertResult(400, "Code: 27. Cannot parse input", 27);
    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Quarantine quarantine = new Quarantine(30_000, now::get, registry);
    private final List<InsertResult> answers = new ArrayList<>();

    private void answer(Object sender, InsertResult result) {
        Ack ack = quarantine.watch(sender, answers::add);
        ack.complete(result);
    }

    private double quarantined() {
        return registry.get("catflap.senders.quarantined").gauge().value();
    }

    @Test
    void aSenderIsQuarantinedForTheDurationAfterItsLatestRefusedRow() {
        assertSame(KEY, quarantine.key("a", KEY));
        answer("a", BAD_ROW);
        assertEquals(List.of(BAD_ROW), answers, "the answer still reaches the sender");
        assertEquals(KEY.quarantined(), quarantine.key("a", KEY));
        assertSame(KEY, quarantine.key("b", KEY), "only the sender of the bad rows");
        now.addAndGet(TimeUnit.SECONDS.toNanos(20));
        answer("a", BAD_ROW);
        now.addAndGet(TimeUnit.SECONDS.toNanos(20));
        assertEquals(KEY.quarantined(), quarantine.key("a", KEY), "30 s from the latest refusal, not the first");
        assertEquals(1.0, quarantined());
        now.addAndGet(TimeUnit.SECONDS.toNanos(10));
        assertSame(KEY, quarantine.key("a", KEY));
        assertEquals(0.0, quarantined());
    }

    @Test
    void onlyRefusedRowsQuarantine() {
        answer("a", InsertResult.OK);
        answer("a", new InsertResult(500, "Code: 252. Too many parts (300)", 252));
        answer("a", new InsertResult(404, "Code: 60. Table db.t doesn't exist", 60));
        answer("a", new InsertResult(400, "malformed body: the body does not end on a row"));
        answer("a", new InsertResult(503, "ClickHouse unavailable: connection refused"));
        assertSame(KEY, quarantine.key("a", KEY));
        answer("a", new InsertResult(400, "Code: 53. Type mismatch", 53));
        assertEquals(KEY.quarantined(), quarantine.key("a", KEY));
    }

    @Test
    void zeroTurnsItOff() {
        Quarantine off = new Quarantine(0, now::get, new SimpleMeterRegistry());
        off.watch("a", answers::add).complete(BAD_ROW);
        assertSame(KEY, off.key("a", KEY));
    }

    @Test
    void kittenSendersAreConnectionsAndHttpSendersAddresses() {
        EmbeddedChannel one = connection(40000);
        EmbeddedChannel two = connection(40001);
        assertEquals(Protocol.HTTP.sender(one), Protocol.HTTP.sender(two), "a new HTTP connection is the same sender");
        assertNotEquals(Protocol.KITTEN.sender(one), Protocol.KITTEN.sender(two));
        assertEquals(one.remoteAddress(), Protocol.KITTEN.sender(one));
        one.finishAndReleaseAll();
        two.finishAndReleaseAll();
    }

    /** A connection from 10.0.0.1:{@code port}. */
    private static EmbeddedChannel connection(int port) {
        InetSocketAddress remote = new InetSocketAddress("10.0.0.1", port);
        return new EmbeddedChannel() {
            @Override
            protected SocketAddress remoteAddress0() {
                return remote;
            }
        };
    }
}
