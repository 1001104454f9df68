package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ErrorTextTest {
    @Test
    void occurrencesOfOneErrorGroupTogetherAndKeepTheirCode() {
        String a = "Code: 252, e.displayText() = DB::Exception: Too many parts (413). Merges are processing"
                + " significantly slower than inserts., e.what() = DB::Exception\n\nstack trace";
        String b = a.replace("413", "421");
        assertEquals(ErrorText.firstLine(a), ErrorText.firstLine(b));
        assertEquals("Code: 252, e.displayText() = DB::Exception: Too many parts (N). Merges are processing"
                + " significantly slower than inserts., e.what() = DB::Exception", ErrorText.firstLine(a));
    }

    @Test
    void longMessagesAreCut() {
        assertEquals(163, ErrorText.firstLine("x".repeat(1000)).length());
    }
}
