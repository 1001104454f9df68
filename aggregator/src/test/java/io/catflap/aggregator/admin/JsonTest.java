package io.catflap.aggregator.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void writesTheStatusTreeAsJson() {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("s", "a\"b\\c\nd\te\u0001\u2028");
        tree.put("long", 12345678901L);
        tree.put("double", 2.5);
        tree.put("whole", 3.0);
        tree.put("nan", Double.NaN);
        tree.put("yes", true);
        tree.put("none", null);
        tree.put("list", Arrays.asList(1, "x", null, List.of()));
        tree.put("map", Map.of("k", Map.of()));
        String json = Json.write(tree);
        assertEquals("{\"s\":\"a\\\"b\\\\c\\nd\\te\\u0001\\u2028\",\"long\":12345678901,\"double\":2.5,"
                + "\"whole\":3,\"nan\":null,\"yes\":true,\"none\":null,\"list\":[1,\"x\",null,[]],"
                + "\"map\":{\"k\":{}}}", json);
        Map<?, ?> back = (Map<?, ?>) JsonParser.parse(json);
        assertEquals(tree.get("s"), back.get("s"));
        assertEquals(12345678901L, back.get("long"));
        assertEquals(Arrays.asList(1L, "x", null, List.of()), back.get("list"));
    }

    @Test
    void refusesValuesOutsideTheTree() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Json.write(Map.of("at", Instant.EPOCH)));
        assertEquals("not a JSON value: java.time.Instant", e.getMessage());
    }
}
