package io.catflap.client.persist;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durably stored acknowledged position of one table stream: file {@code acked} = u64 segment | u64 offset |
 * u32 CRC32C, replaced atomically (write a temp file, fsync it, rename it over, fsync the directory), so a crash at
 * any point leaves either the old or the new position. A missing or unreadable file means "from the beginning":
 * the rows are sent again (duplicates), never skipped.
 */
final class AckStore {

    private static final Logger log = LoggerFactory.getLogger(AckStore.class);
    static final String FILE = "acked";
    private static final int BYTES = 20;

    private final Path dir;
    private final Path file;
    private final Path temp;

    AckStore(Path dir) {
        this.dir = dir;
        this.file = dir.resolve(FILE);
        this.temp = dir.resolve(FILE + ".tmp");
    }

    Position load() throws IOException {
        byte[] a;
        try {
            a = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Position.START;
        }
        ByteBuffer b = ByteBuffer.wrap(a);
        if (a.length != BYTES || b.getInt(16) != crc(a)) {
            log.warn("{} is corrupt ({} bytes); replaying {} from its oldest segment", file, a.length, dir);
            return Position.START;
        }
        return new Position(b.getLong(0), b.getLong(8));
    }

    void store(Position p) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(BYTES).putLong(p.segment()).putLong(p.offset());
        b.putInt(crc(b.array())).flip();
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

    private static int crc(byte[] a) {
        CRC32C c = new CRC32C();
        c.update(a, 0, 16);
        return (int) c.getValue();
    }

    /** Makes created, renamed and deleted entries of {@code dir} durable (Linux allows fsync on a directory). */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
