package io.vipd.bench;

import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.Frontend;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.snapshot.SnapshotStore;
import io.vipd.snapshot.TableSnapshot;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code harness snapshot-cost}: what vipd node's table snapshot costs at a given size, in-process: one write (encode,
 * write to a temporary file, fsync, rename), and one restore (read, check, decode, which builds every entry and
 * its Maglev tables, then apply to an empty table), medians of {@code --repeat} runs after {@code --warmup}.
 */
@Command(name = "snapshot-cost", description = "Time vipd's table snapshot write and restore, in-process.")
final class SnapshotCost implements Callable<Integer> {
    @Option(names = "--services", defaultValue = "10000")
    int services;

    @Option(names = "--endpoints", defaultValue = "10", description = "endpoints per service")
    int endpoints;

    @Option(names = "--dir", description = "where to write (default: a new temporary directory)")
    Path dir;

    @Option(names = "--repeat", defaultValue = "7")
    int repeat;

    @Option(names = "--warmup", defaultValue = "3")
    int warmup;

    @Override
    public Integer call() throws IOException {
        List<ServicePortEntry> entries = entries();
        ServiceTable table = new ServiceTable();
        table.apply(entries, List.of());
        Path where = dir != null ? dir : Files.createTempDirectory("vipd-snapshot-");
        SnapshotStore store = new SnapshotStore(where);
        long[] write = new long[repeat];
        long[] restore = new long[repeat];
        int bytes = 0;
        for (int run = -warmup; run < repeat; run++) {
            long t0 = System.nanoTime();
            bytes = store.write(new TableSnapshot("node", "bench", Instant.now(), table.entries()));
            long t1 = System.nanoTime();
            TableSnapshot back = store.read("node").orElseThrow(() -> new IllegalStateException("unreadable"));
            ServiceTable restored = new ServiceTable();
            restored.apply(back.entries(), List.of());
            long t2 = System.nanoTime();
            if (restored.size() != table.size()) {
                throw new IllegalStateException("restored " + restored.size() + " of " + table.size());
            }
            if (run >= 0) {
                write[run] = t1 - t0;
                restore[run] = t2 - t1;
            }
        }
        System.out.printf(
                Locale.ROOT,
                "services=%d endpoints=%d bytes=%d write_ms=%.1f (min %.1f) restore_ms=%.1f" + " (min %.1f)%n",
                services,
                endpoints,
                bytes,
                Stats.median(write) / 1e6,
                min(write) / 1e6,
                Stats.median(restore) / 1e6,
                min(restore) / 1e6);
        return 0;
    }

    /** Node-mode-shaped entries: a ClusterIP and a NodePort, endpoints on two nodes with zones. */
    private List<ServicePortEntry> entries() throws IOException {
        List<ServicePortEntry> list = new ArrayList<>(services);
        for (int i = 0; i < services; i++) {
            List<Backend> backends = new ArrayList<>(endpoints);
            for (int e = 0; e < endpoints; e++) {
                // 198.18.0.0/16 holds 65,536 pods; larger sets reuse them, as pods back several services.
                int host = (i * endpoints + e) & 0xffff;
                InetAddress ip = InetAddress.getByAddress(new byte[] {(byte) 198, 18, (byte) (host >> 8), (byte) host});
                backends.add(new Backend(
                        ip,
                        8080,
                        1,
                        e % 2 == 0 ? "node-a" : "node-b",
                        e % 2 == 0 ? "zone-a" : "zone-b",
                        io.vipd.lb.BackendState.READY,
                        e % 2 == 0,
                        java.util.Set.of(),
                        java.util.Set.of()));
            }
            BackendSet set = BackendSet.of(backends);
            InetAddress vip = InetAddress.getByAddress(new byte[] {(byte) 198, 19, (byte) (i >> 8), (byte) i});
            list.add(ServicePortEntry.builder(
                            ServicePortName.of("bench", String.format("svc-%05d", i), "http", Protocol.TCP))
                    .frontends(List.of(
                            new ServiceFrontend(new Frontend(vip, 80, Protocol.TCP), FrontendType.CLUSTER_IP),
                            new ServiceFrontend(
                                    Frontend.nodePort(30000 + i % 2000, Protocol.TCP), FrontendType.NODE_PORT)))
                    .endpoints(set)
                    .categorized(false, set, null, true)
                    .build());
        }
        return list;
    }

    private static long min(long[] values) {
        long m = Long.MAX_VALUE;
        for (long v : values) {
            m = Math.min(m, v);
        }
        return m;
    }
}
