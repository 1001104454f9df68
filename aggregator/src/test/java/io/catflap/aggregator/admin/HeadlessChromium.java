package io.catflap.aggregator.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Chromium, headless, rendering one page per call. Virtual time lets the page's timers and fetches run
 * for {@code budgetMillis} before the DOM is dumped or the screenshot taken.
 */
final class HeadlessChromium {

    static final Path BINARY = Path.of("/usr/bin/chromium");

    private final Path profile;

    HeadlessChromium(Path profile) {
        assertTrue(Files.isExecutable(BINARY), "this test renders the status page in Debian's Chromium, which is "
                + "missing: install it with `apt-get install -y chromium` (" + BINARY + ")");
        this.profile = profile;
    }

    /** The page's DOM as serialized HTML after {@code budgetMillis} of virtual time. */
    String dumpDom(URI page, int budgetMillis) throws IOException, InterruptedException {
        return run(List.of("--virtual-time-budget=" + budgetMillis, "--dump-dom", page.toString()));
    }

    /** Writes a PNG of the page as shown in a {@code width}×{@code height} window. */
    void screenshot(URI page, Path png, int width, int height, int budgetMillis)
            throws IOException, InterruptedException {
        run(List.of("--virtual-time-budget=" + budgetMillis, "--hide-scrollbars",
                "--window-size=" + width + "," + height, "--screenshot=" + png.toAbsolutePath(), page.toString()));
        byte[] head = Files.readAllBytes(png);
        assertTrue(head.length > 1000 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G', "a PNG at " + png);
    }

    private String run(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-dev-shm-usage", "--user-data-dir=" + profile));
        cmd.addAll(args);
        Path out = Files.createTempFile(profile.getParent(), "chromium", ".out");
        Path err = Files.createTempFile(profile.getParent(), "chromium", ".log");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish within 60 s:\n" + readQuietly(err));
        }
        assertEquals(0, p.exitValue(), () -> "chromium failed: " + readQuietly(err));
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
