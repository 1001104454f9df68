package io.catflap.client.buffer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ValuesRowsTest {
    private static int count(String s) {
        return ValuesRows.count(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void countsTopLevelTuples() {
        assertEquals(0, count(""));
        assertEquals(1, count("(1,'a')"));
        assertEquals(3, count("(1,'a'),(2,'b') ,\n(3,[1,2])"));
        assertEquals(2, count("(1,('nested',2)),(2,(3,4))"));
    }

    @Test
    void ignoresParenthesesInStringsAndEscapes() {
        assertEquals(2, count("(1,'(not a row)'),(2,'it\\'s (still) one')"));
        assertEquals(1, count("(1,`odd (name`)"));
    }
}
