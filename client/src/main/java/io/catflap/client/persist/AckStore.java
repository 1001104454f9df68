package io.catflap.client.persist;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durably stored delivery state of one table stream, file {@code acked}: stream id (16 random bytes) | acknowledged
 * position (u64 segment | u64 offset) | end of the batch in flight (u64 segment | u64 offset, equal to the acknowledged
 * position when none is) | u32 CRC32C of the rest. It is replaced atomically (write a temp file, fsync it, rename it
 * over, fsync the directory), so a crash at any point leaves either the old or the new state. A missing or unreadable
 * file means "from the beginning, under a new stream id": the rows are sent again (duplicates), never skipped. The
 * 20-byte file of earlier versions (position and CRC only) is read as a state without a batch in flight.
 */
final class AckStore {

    private static final Logger log = LoggerFactory.getLogger(AckStore.class);
    static final String FILE = "acked";
    static final int STREAM_ID_BYTES = 16;
    private static final int BYTES = STREAM_ID_BYTES + 32 + 4;
    private static final int LEGACY_BYTES = 20;
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * @param streamId random, made when the stream's state is first created; with a batch's range it makes the
     *                 batch's idempotency key, unique across hosts and streams
     * @param acked    everything before it is delivered
     * @param inFlight end of the batch from {@code acked} that may have been sent and not answered; null when none
     */
    record State(byte[] streamId, Position acked, Position inFlight) {
        static State fresh() {
            byte[] id = new byte[STREAM_ID_BYTES];
            RANDOM.nextBytes(id);
            return new State(id, Position.START, null);
        }
    }

    private final Path dir;
    private final Path file;
    private final Path temp;

    AckStore(Path dir) {
        this.dir = dir;
        this.file = dir.resolve(FILE);
        this.temp = dir.resolve(FILE + ".tmp");
    }

    State load() throws IOException {
        byte[] a;
        try {
            a = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return State.fresh();
        }
        ByteBuffer b = ByteBuffer.wrap(a);
        if (a.length == LEGACY_BYTES && b.getInt(16) == crc(a, 16)) {
            return new State(State.fresh().streamId(), new Position(b.getLong(0), b.getLong(8)), null);
        }
        if (a.length != BYTES || b.getInt(BYTES - 4) != crc(a, BYTES - 4)) {
            log.warn("{} is corrupt ({} bytes); replaying {} from its oldest segment", file, a.length, dir);
            return State.fresh();
        }
        byte[] id = new byte[STREAM_ID_BYTES];
        b.get(id);
        Position acked = new Position(b.getLong(), b.getLong());
        Position inFlight = new Position(b.getLong(), b.getLong());
        return new State(id, acked, acked.isBefore(inFlight) ? inFlight : null);
    }

    void store(State s) throws IOException {
        Position inFlight = s.inFlight() == null ? s.acked() : s.inFlight();
        ByteBuffer b = ByteBuffer.allocate(BYTES).put(s.streamId())
                .putLong(s.acked().segment()).putLong(s.acked().offset())
                .putLong(inFlight.segment()).putLong(inFlight.offset());
        b.putInt(crc(b.array(), BYTES - 4)).flip();
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(false);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(dir);
    }

    private static int crc(byte[] a, int n) {
        CRC32C c = new CRC32C();
        c.update(a, 0, n);
        return (int) c.getValue();
    }

    /** Makes created, renamed and deleted entries of {@code dir} durable (Linux allows fsync on a directory). */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
