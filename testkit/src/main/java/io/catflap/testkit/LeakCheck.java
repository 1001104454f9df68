package io.catflap.testkit;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fails a test class during whose tests Netty reported a leaked buffer (the report's access records name the code
 * that touched it). Registered for the tests of every module that has the testkit on its test class path
 * (extension autodetection, enabled in each module's {@code junit-platform.properties}), so that it is installed
 * before the first buffer class loads. Processes that tests start run under {@link LeakCheckedMain} instead.
 */
public final class LeakCheck implements AfterAllCallback {
    private static final List<String> LEAKS = new ArrayList<>();

    static {
        LeakReports.install(LeakCheck::record);
    }

    private static void record(String leak) {
        synchronized (LEAKS) {
            LEAKS.add(leak);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        List<String> leaks = collect(3);
        if (!leaks.isEmpty()) {
            fail(leaks.size() + " leak(s) reported during " + context.getDisplayName() + ":\n"
                    + String.join("\n", leaks));
        }
    }

    /** Runs GC {@code rounds} times and returns (and forgets) the leaks reported so far. */
    static List<String> collect(int rounds) throws InterruptedException {
        LeakReports.collect(rounds);
        synchronized (LEAKS) {
            List<String> leaks = List.copyOf(LEAKS);
            LEAKS.clear();
            return leaks;
        }
    }
}
