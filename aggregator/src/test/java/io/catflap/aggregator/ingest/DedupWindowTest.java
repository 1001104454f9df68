package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.catflap.aggregator.batch.Ack;
import io.catflap.aggregator.batch.InsertResult;
import io.catflap.protocol.Kitten;
import io.catflap.protocol.RequestFrame;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DedupWindowTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final DedupWindow window = new DedupWindow(Duration.ofMinutes(1), registry);

    private static RequestFrame frame(String table, int keyByte) {
        byte[] key = new byte[Kitten.IDEMPOTENCY_KEY_BYTES];
        key[0] = (byte) keyByte;
        return new RequestFrame(Kitten.FLAG_IDEMPOTENCY_KEY, table, key, Unpooled.EMPTY_BUFFER);
    }

    /** Collects the answers an ack gets. */
    private static final class Answers implements Ack {
        final List<InsertResult> got = new ArrayList<>();

        @Override
        public void complete(InsertResult result) {
            got.add(result);
        }
    }

    private double hits() {
        return registry.get("catflap.dedup.hits").counter().count();
    }

    @Test
    void aRepeatWaitsForTheFirstAnswerAndACommittedKeyIsAnsweredWithoutInserting() {
        Answers first = new Answers();
        Answers inFlight = new Answers();
        Answers later = new Answers();
        Ack insert = window.claim(DedupWindow.key("t0k", frame("db.t(a)", 1)), first);
        assertNotNull(insert, "the first request inserts");
        assertNull(window.claim(DedupWindow.key("t0k", frame("db.t(a)", 1)), inFlight), "a repeat in flight does not insert");
        assertEquals(List.of(), inFlight.got, "and waits for the first answer");
        insert.complete(InsertResult.OK);
        assertEquals(List.of(InsertResult.OK), first.got);
        assertEquals(List.of(InsertResult.OK), inFlight.got);
        assertNull(window.claim(DedupWindow.key("t0k", frame("db.t(a)", 1)), later), "a committed key does not insert again");
        assertEquals(List.of(InsertResult.OK), later.got);
        assertEquals(2, hits());
    }

    @Test
    void aFailedKeyIsProcessedAnew() {
        Answers first = new Answers();
        Answers waiting = new Answers();
        Ack insert = window.claim(DedupWindow.key(null, frame("db.t(a)", 2)), first);
        assertNull(window.claim(DedupWindow.key(null, frame("db.t(a)", 2)), waiting));
        InsertResult failed = new InsertResult(503, "upstream down");
        insert.complete(failed);
        assertEquals(List.of(failed), first.got);
        assertEquals(List.of(failed), waiting.got, "a repeat waiting on a failure shares it");
        assertNotNull(window.claim(DedupWindow.key(null, frame("db.t(a)", 2)), new Answers()), "the retry inserts");
    }

    @Test
    void keysAreScopedByTokenTableAndFormat() {
        assertNotNull(window.claim(DedupWindow.key("a", frame("db.t(a)", 3)), new Answers()));
        assertNotNull(window.claim(DedupWindow.key("b", frame("db.t(a)", 3)), new Answers()), "another token");
        assertNotNull(window.claim(DedupWindow.key(null, frame("db.t(a)", 3)), new Answers()), "no token");
        assertNotNull(window.claim(DedupWindow.key("a", frame("db.u(a)", 3)), new Answers()), "another table");
        byte[] key = new byte[Kitten.IDEMPOTENCY_KEY_BYTES];
        key[0] = 3;
        RequestFrame rowBinary = new RequestFrame(Kitten.FLAG_IDEMPOTENCY_KEY | Kitten.FLAG_ROW_BINARY, "db.t(a)", key,
                Unpooled.EMPTY_BUFFER);
        assertNotNull(window.claim(DedupWindow.key("a", rowBinary), new Answers()), "another format");
        assertNotNull(window.claim(DedupWindow.key("a", frame("db.t(a)", 4)), new Answers()), "another key");
        assertEquals(0, hits());
    }
}
