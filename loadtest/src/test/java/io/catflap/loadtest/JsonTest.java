package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void writesNestedValuesWithEscapes() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("say \"hi\"", Arrays.asList(1L, "a\\b\n", null, 1.5, true));
        m.put("empty", List.of());
        m.put("nan", Double.NaN);
        assertEquals("""
                {
                  "say \\"hi\\"": [
                    1,
                    "a\\\\b\\u000a",
                    null,
                    1.500,
                    true
                  ],
                  "empty": [],
                  "nan": null
                }
                """, Json.write(m));
    }
}
