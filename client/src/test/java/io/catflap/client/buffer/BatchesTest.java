package io.catflap.client.buffer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class BatchesTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void valuesAreJoinedWithSingleCommas() {
        byte[] joined = Batches.join(List.of(b("(1),(2)"), b("(3),\n"), b("  \n"), b("(4) ")), false);
        assertEquals("(1),(2),(3),(4)", new String(joined, StandardCharsets.UTF_8));
    }

    @Test
    void rowBinaryIsConcatenated() {
        assertArrayEquals(new byte[]{1, ',', 3, ' '}, Batches.join(List.of(new byte[]{1, ','}, new byte[]{3, ' '}), true));
    }
}
