package io.vipd.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code chromium} in headless mode, for tests that load a page the way a browser does: the DOM
 * after parsing ({@code --dump-dom}) and a screenshot. Each run gets its own profile directory, so tests
 * running at the same time do not share a browser. {@code prefix} runs it elsewhere, e.g. {@code ip netns exec
 * NAME}.
 */
public final class HeadlessChromium {
    private static final long TIMEOUT_SECONDS = 60;

    private final List<String> prefix;
    private final Path profile;

    public HeadlessChromium(Path profile, List<String> prefix) {
        this.profile = profile;
        this.prefix = List.copyOf(prefix);
    }

    /** The chromium binary on the PATH, or null: tests skip with this reason when it is absent. */
    public static String binary() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            for (String name : List.of("chromium", "chromium-browser")) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, name);
                if (Files.isExecutable(p)) {
                    return p.toString();
                }
            }
        }
        return null;
    }

    /** The document as the browser parsed it, serialised. */
    public String dumpDom(String url) throws IOException, InterruptedException {
        return run("--dump-dom", url);
    }

    /** Writes a PNG of the rendered page ({@code width} × {@code height} CSS pixels) to {@code png}. */
    public void screenshot(String url, Path png, int width, int height) throws IOException, InterruptedException {
        Files.createDirectories(png.toAbsolutePath().getParent());
        run("--screenshot=" + png.toAbsolutePath(), "--window-size=" + width + "," + height, "--hide-scrollbars", url);
        if (!Files.isRegularFile(png)) {
            throw new IOException("chromium wrote no screenshot to " + png);
        }
    }

    private String run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(
                binary() == null ? "chromium" : binary(),
                "--headless",
                // Tests run as root in containers, where Chromium's sandbox cannot start.
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--user-data-dir=" + profile.toAbsolutePath()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(profile.getParent(), "chromium-out", ".txt");
        Path err = Files.createTempFile(profile.getParent(), "chromium-err", ".txt");
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IOException("chromium did not finish within " + TIMEOUT_SECONDS + " s: " + cmd);
            }
        } finally {
            if (p.isAlive()) {
                // Its renderer and utility processes first: they would outlive a killed parent.
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (p.exitValue() != 0) {
            throw new IOException(
                    "chromium exited with " + p.exitValue() + ": " + Files.readString(err, StandardCharsets.UTF_8));
        }
        return Files.readString(out, StandardCharsets.UTF_8);
    }
}
