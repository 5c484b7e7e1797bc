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
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code harness table-build}: vipd's side of "rule sync time", measured in-process. Builds the
 * {@link ServicePortEntry}s (Maglev tables included) for a generated Service set and applies them to an empty
 * {@link ServiceTable}, then applies one endpoint change to the last service port. Prints the median of
 * {@code --repeat} runs after {@code --warmup} unmeasured ones. This is the table half of a sync; the listener half is
 * measured on the real process by bench/run.
 */
@Command(name = "table-build", description = "Time vipd's ServiceTable build and one endpoint change, in-process.")
final class TableBuild implements Callable<Integer> {
    @Option(names = "--services", defaultValue = "1000")
    int services;

    @Option(names = "--endpoint-ips", required = true, split = ",")
    List<String> endpointIps;

    @Option(names = "--port", defaultValue = "80")
    int port;

    @Option(names = "--repeat", defaultValue = "5")
    int repeat;

    @Option(names = "--warmup", defaultValue = "2")
    int warmup;

    @Override
    public Integer call() throws UnknownHostException {
        List<BenchService> set = ServiceSets.generate(services, "tcp", "198.19.0.1", port, endpointIps, port);
        long[] build = new long[repeat];
        long[] change = new long[repeat];
        for (int run = -warmup; run < repeat; run++) {
            long t0 = System.nanoTime();
            ServiceTable table = new ServiceTable();
            List<ServicePortEntry> entries = new ArrayList<>(set.size());
            for (BenchService s : set) {
                entries.add(entry(s, s.endpoints()));
            }
            table.apply(entries, List.of());
            long t1 = System.nanoTime();
            BenchService last = set.get(set.size() - 1);
            ServicePortEntry changed = entry(last, List.of(new BenchService.Endpoint(endpointIps.get(0), port + 1)));
            table.apply(List.of(changed), List.of());
            long t2 = System.nanoTime();
            if (table.size() != set.size()) {
                throw new IllegalStateException("table holds " + table.size() + " entries, expected " + set.size());
            }
            if (run >= 0) {
                build[run] = t1 - t0;
                change[run] = t2 - t1;
            }
        }
        System.out.printf(
                Locale.ROOT, "build_ms=%.3f change_us=%.1f%n", Stats.median(build) / 1e6, Stats.median(change) / 1e3);
        return 0;
    }

    private static ServicePortEntry entry(BenchService s, List<BenchService.Endpoint> endpoints)
            throws UnknownHostException {
        List<Backend> backends = new ArrayList<>(endpoints.size());
        for (BenchService.Endpoint e : endpoints) {
            backends.add(Backend.of(InetAddress.getByName(e.ip()), e.port()));
        }
        Frontend frontend = new Frontend(InetAddress.getByName(s.vip()), s.port(), Protocol.TCP);
        return ServicePortEntry.builder(ServicePortName.of(s.namespace(), s.name(), s.portName(), Protocol.TCP))
                .frontends(List.of(new ServiceFrontend(frontend, FrontendType.CLUSTER_IP)))
                .backends(BackendSet.of(backends))
                .build();
    }
}
