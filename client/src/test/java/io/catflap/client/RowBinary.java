package io.catflap.client;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** RowBinary rows of {@code (id UInt64, s String)} for tests. */
public final class RowBinary {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public RowBinary row(long id, String s) {
        for (int i = 0; i < 8; i++) {
            out.write((int) (id >>> (8 * i)));
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int n = b.length;
        while (n >= 0x80) {            // LEB128 length
            out.write((n & 0x7f) | 0x80);
            n >>>= 7;
        }
        out.write(n);
        out.write(b, 0, b.length);
        return this;
    }

    public byte[] bytes() {
        return out.toByteArray();
    }
}
