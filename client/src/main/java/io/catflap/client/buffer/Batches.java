package io.catflap.client.buffer;

import java.io.ByteArrayOutputStream;
import java.util.List;

/** Joins the bodies of several writes into one insert body. */
public final class Batches {
    private Batches() {
    }

    /**
     * RowBinary bodies are concatenated. VALUES bodies are joined with one comma; trailing blanks and commas of each
     * body are dropped first, so {@code "(1),"} followed by {@code "(2)\n"} gives {@code "(1),(2)"}.
     */
    public static byte[] join(List<byte[]> bodies, boolean rowBinary) {
        if (bodies.size() == 1 && rowBinary) {
            return bodies.get(0);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(bodies.stream().mapToInt(b -> b.length + 1).sum());
        for (byte[] body : bodies) {
            int end = body.length;
            if (!rowBinary) {
                while (end > 0 && (body[end - 1] == ',' || Character.isWhitespace(body[end - 1]))) {
                    end--;
                }
                if (end == 0) {
                    continue;
                }
                if (out.size() > 0) {
                    out.write(',');
                }
            }
            out.write(body, 0, end);
        }
        return out.toByteArray();
    }
}
