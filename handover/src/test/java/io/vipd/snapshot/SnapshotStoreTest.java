package io.vipd.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotStoreTest {
    @TempDir
    Path dir;

    @Test
    void writesAtomicallyAndReadsBack() throws Exception {
        SnapshotStore store = new SnapshotStore(dir.resolve("state"));
        assertThat(store.read("edge")).as("nothing written yet").isEmpty();

        int bytes = store.write(
                new TableSnapshot("edge", "f.yaml", SnapshotCodecTest.T, List.of(SnapshotCodecTest.edgeEntry())));

        assertThat(bytes).isEqualTo((int) Files.size(store.file()));
        assertThat(Files.list(store.file().getParent()).map(p -> p.getFileName().toString()))
                .containsExactly(SnapshotStore.FILE_NAME);
        assertThat(store.read("edge").orElseThrow().entries()).hasSize(1);
        assertThat(store.read("node"))
                .as("another mode's snapshot is not restored")
                .isEmpty();
    }

    @Test
    void aCorruptFileIsIgnored() throws Exception {
        SnapshotStore store = new SnapshotStore(dir);
        Files.write(store.file(), new byte[] {'V', 'I', 'P', 'D', 0, 0});
        assertThat(store.read("edge")).isEmpty();
    }

    @Test
    void aBurstOfChangesIsWrittenOnceItSettlesAndTheLastStateWins() {
        SnapshotStore store = new SnapshotStore(dir);
        ServiceTable table = new ServiceTable();
        SnapshotWriter writer =
                new SnapshotWriter(store, "edge", "test", table, Duration.ofMillis(300), Clock.systemUTC());
        table.addListener(writer);
        for (int i = 1; i <= 50; i++) {
            table.apply(
                    List.of(ServicePortEntry.builder(ServicePortName.of("default", "s" + i, "", Protocol.TCP))
                            .backends(BackendSet.of(Backend.parse("198.18.0." + i + ":80")))
                            .build()),
                    List.of());
        }
        await().atMost(Duration.ofSeconds(5))
                .until(() -> store.read("edge").map(s -> s.entries().size()).orElse(0) == 50);
        assertThat(writer.writes()).as("50 changes, coalesced").isLessThanOrEqualTo(3);
        assertThat(writer.failures()).isZero();
        writer.close();
    }
}
