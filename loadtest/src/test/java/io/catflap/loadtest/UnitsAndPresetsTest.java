package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class UnitsAndPresetsTest {
    @Test
    void durationsAndSizesTakeUnits() {
        assertEquals(500, Units.millis("500ms"));
        assertEquals(15_000, Units.millis("15s"));
        assertEquals(15_000, Units.millis("15"));
        assertEquals(120_000, Units.millis("2m"));
        assertEquals(1 << 20, Units.bytes("1MiB"));
        assertEquals(1536, Units.bytes("1.5k"));
        assertThrows(IllegalArgumentException.class, () -> Units.millis("5 parsecs"));
        assertThrows(IllegalArgumentException.class, () -> Units.bytes("lots"));
    }

    @Test
    void optionsOnTheCommandLineOverrideThePreset() {
        LoadtestMain main = new LoadtestMain(System.out, System.err);
        new CommandLine(main).setOverwrittenOptionsAllowed(true)
                .parseArgs(LoadtestMain.withPresetDefaults(new String[] {"--preset", "idle-10k", "--idle=50", "-t", "kitten://127.0.0.1:1"}));
        assertEquals(Preset.IDLE_10K, main.preset);
        assertEquals(50, main.idle);               // given
        assertEquals(300, main.connections);       // from the preset
        assertEquals(1000.0, main.rate);
    }

    @Test
    void unknownPresetIsLeftToTheParserToReport() {
        String[] args = {"--preset=nope"};
        assertArrayEquals(args, LoadtestMain.withPresetDefaults(args));
        assertEquals(LoadtestMain.EXIT_SETUP, LoadtestMain.run(System.out, System.err, "--preset=nope", "-t", "http://127.0.0.1:1"));
    }

    @Test
    void loadGoesToLoopbackOnly() {
        assertEquals(Target.Kind.KITTEN, Target.parse("kitten://127.0.0.1:13339").kind());
        assertEquals(Target.Kind.LOCAL, Target.parse("local://localhost:13338").kind());
        assertFalse(Target.parse("local://localhost:13338").persistent());
        assertThrows(IllegalArgumentException.class, () -> Target.parse("http://192.0.2.1:8123"));
        assertThrows(IllegalArgumentException.class, () -> Target.parse("ftp://127.0.0.1:21"));
    }

    @Test
    void localTargetsTakePersistent() {
        Target persistent = Target.parse("local://127.0.0.1:13338?persistent=1");
        assertTrue(persistent.persistent());
        assertEquals("local://127.0.0.1:13338?persistent=1", persistent.toString());
        assertThrows(IllegalArgumentException.class, () -> Target.parse("kitten://127.0.0.1:13339?persistent=1"));
        assertThrows(IllegalArgumentException.class, () -> Target.parse("local://127.0.0.1:13338?debug=1"));
    }
}
