package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineCpuTest {
    /** A 2-core machine's /proc/stat. */
    private static final String BEFORE = """
            cpu  2731549 2842 617408 2399495 87629 0 59574 66873 0 0
            cpu0 1362075 1212 284859 1263171 14964 0 25564 30750 0 0
            cpu1 1369474 1630 332548 1136323 72664 0 34009 36122 0 0
            intr 312775468 0 9 0 0 1457 0 3 0 0 0 0 0 15 0 0 0 0 0 0 0 0 0 0 0 0
            ctxt 602812593
            btime 1764500000
            processes 1048576
            procs_running 3
            procs_blocked 0
            softirq 150093187 0 48017061 55 5512303 0 0 41 62089361 0 34474366
            """;

    /**
     * 10 s later at 100 ticks a second: 2,000 ticks on the 2 cores, 1,700 of them busy (user +1,200, nice +10,
     * system +300, softirq +40, steal +150) and 300 not (idle +250, iowait +50). Guest +500 is already in user.
     */
    private static final String AFTER = BEFORE.replace("cpu  2731549 2842 617408 2399495 87629 0 59574 66873 0 0",
            "cpu  2732749 2852 617708 2399745 87679 0 59614 67023 500 0");

    @Test
    void busyIsAllButIdleAndIowaitWithoutGuestCountedTwice() {
        MachineCpu.Ticks before = MachineCpu.parse(BEFORE);
        assertEquals(2, before.cores());
        assertEquals(2731549 + 2842 + 617408 + 59574 + 66873, before.busy());
        assertEquals(before.busy() + 2399495 + 87629, before.total());
        assertEquals(1.70, MachineCpu.parse(AFTER).busyCoresSince(before), 1e-9);
    }

    @Test
    void olderKernelsWithoutStealOrGuestColumns() {
        MachineCpu.Ticks ticks = MachineCpu.parse("cpu  100 0 50 800 50 0 0\ncpu0 100 0 50 800 50 0 0\n");
        assertEquals(new MachineCpu.Ticks(150, 1000, 1), ticks);
    }

    @Test
    void noTickInTheWindowIsNoneBusy() {
        MachineCpu.Ticks ticks = MachineCpu.parse(BEFORE);
        assertEquals(0.0, ticks.busyCoresSince(ticks));
    }

    @Test
    void aWindowFromStartToTheLastSample(@TempDir Path proc) throws Exception {
        Path stat = proc.resolve("stat");
        Files.writeString(stat, BEFORE);
        MachineCpu machine = MachineCpu.start(stat);
        Files.writeString(stat, AFTER);
        machine.sample();
        Files.delete(stat);
        machine.sample();
        assertEquals(1.70, machine.busyCores(), 1e-9, "an unreadable read keeps the window's previous end");
        assertEquals(2, machine.cores());
        assertNull(MachineCpu.start(proc.resolve("missing")), "no /proc/stat, no figure");
    }
}
