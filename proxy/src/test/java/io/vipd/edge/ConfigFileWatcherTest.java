package io.vipd.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two ways configuration files are replaced in practice. The poll interval is set far beyond the
 * wait, so these pass only through directory events.
 */
class ConfigFileWatcherTest {
    private static final Duration NO_POLL = Duration.ofMinutes(10);
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void noticesAnEditorsRenameOverTheFile() throws Exception {
        Path file = dir.resolve("edge.yaml");
        Files.writeString(file, "services: []\n");
        AtomicInteger changes = new AtomicInteger();
        try (ConfigFileWatcher w = new ConfigFileWatcher(
                file, NO_POLL, ConfigFileWatcher.digest("services: []\n"), changes::incrementAndGet)) {
            w.start();
            Path tmp = dir.resolve(".edge.yaml.swp");
            Files.writeString(tmp, "services: [] # edited\n");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

            await().atMost(WAIT).until(() -> changes.get() == 1);
        }
    }

    @Test
    void noticesAConfigMapStyleSymlinkSwap() throws Exception {
        // kubelet's layout: edge.yaml -> ..data/edge.yaml, ..data -> ..<timestamp>/; an update writes a new
        // timestamped directory and renames a new ..data symlink over the old one.
        Path v1 = Files.createDirectory(dir.resolve("..2026_01_01_v1"));
        Files.writeString(v1.resolve("edge.yaml"), "services: []\n");
        Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
        Path file = Files.createSymbolicLink(dir.resolve("edge.yaml"), Path.of("..data/edge.yaml"));
        AtomicInteger changes = new AtomicInteger();
        try (ConfigFileWatcher w = new ConfigFileWatcher(
                file, NO_POLL, ConfigFileWatcher.digest("services: []\n"), changes::incrementAndGet)) {
            w.start();
            Path v2 = Files.createDirectory(dir.resolve("..2026_01_01_v2"));
            Files.writeString(v2.resolve("edge.yaml"), "services: [] # v2\n");
            Path tmpLink = Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
            Files.move(tmpLink, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);

            await().atMost(WAIT).until(() -> changes.get() == 1);
            assertThat(Files.readString(file)).contains("v2");
        }
    }

    @Test
    void aTouchWithTheSameContentIsNotAChange() throws Exception {
        Path file = dir.resolve("edge.yaml");
        Files.writeString(file, "services: []\n");
        AtomicInteger changes = new AtomicInteger();
        try (ConfigFileWatcher w = new ConfigFileWatcher(
                file, NO_POLL, ConfigFileWatcher.digest("services: []\n"), changes::incrementAndGet)) {
            Files.writeString(file, "services: []\n");
            w.checkNow();
            assertThat(changes.get()).isZero();
            Files.writeString(file, "services: [] # changed\n");
            w.checkNow();
            assertThat(changes.get()).isEqualTo(1);
        }
    }
}
