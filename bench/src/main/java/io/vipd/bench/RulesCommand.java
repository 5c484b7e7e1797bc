package io.vipd.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code harness rules}: writes a generated Service set in one data plane's input format. */
@Command(name = "rules", description = "Write a generated Service set as iptables-restore, nft -f or vipd edge input.")
final class RulesCommand implements Callable<Integer> {
    enum Format {
        iptables,
        iptables_base,
        iptables_full,
        nftables,
        vipd
    }

    @Option(
            names = "--format",
            required = true,
            description = "iptables (kube-proxy's sync, for --noflush), iptables_base (the jumps kube-proxy"
                    + " ensures outside it), iptables_full (both, for a restore without --noflush), nftables or vipd")
    Format format;

    @Option(
            names = "--set",
            required = true,
            description = "a generated group of services,"
                    + " COUNT/PROTOCOL/FIRST_VIP/PORT/TARGET_PORT/IP+IP+..., e.g. 1000/tcp/198.19.0.1/80/8080/198.18.2.10+198.18.2.11;"
                    + " repeat for more groups (their VIPs must not overlap)")
    List<String> sets;

    @Option(names = "--cluster-cidr", defaultValue = "198.18.2.0/24", description = "pod range (no masquerade from it)")
    String clusterCidr;

    @Option(names = "--service-cidr", defaultValue = "198.19.0.0/16")
    String serviceCidr;

    @Option(
            names = "--change-last-to",
            description = "write the endpoint change that replaces the last service's"
                    + " endpoints by this one IP:PORT (partial sync for iptables/nftables, the whole file for vipd)")
    String changeLastTo;

    @Option(
            names = "--change-last-from",
            description = "write the reverse change: the last service's endpoints go"
                    + " from this one IP:PORT back to the generated ones")
    String changeLastFrom;

    @Option(names = "--out", required = true)
    Path out;

    @Override
    public Integer call() throws IOException {
        List<BenchService> set = new ArrayList<>();
        for (String spec : sets) {
            set.addAll(ServiceSets.parse(spec));
        }
        String text;
        if (changeLastTo != null && changeLastFrom != null) {
            throw new IllegalArgumentException("--change-last-to and --change-last-from exclude each other");
        }
        if (changeLastTo == null && changeLastFrom == null) {
            text = switch (format) {
                case iptables -> IptablesRules.fullSync(set, clusterCidr);
                case iptables_base -> IptablesRules.baseJumps();
                case iptables_full -> IptablesRules.fullRestore(set, clusterCidr);
                case nftables -> NftablesRules.fullSync(set, serviceCidr, clusterCidr);
                case vipd -> EdgeConfigs.compact(set);
            };
        } else {
            BenchService generated = set.get(set.size() - 1);
            BenchService single = generated.withEndpoints(
                    List.of(parseEndpoint(changeLastTo != null ? changeLastTo : changeLastFrom)));
            BenchService before = changeLastTo != null ? generated : single;
            BenchService after = changeLastTo != null ? single : generated;
            List<BenchService> changed = new ArrayList<>(set);
            changed.set(changed.size() - 1, after);
            text = switch (format) {
                case iptables -> IptablesRules.endpointChange(changed, clusterCidr, before, after);
                case nftables -> NftablesRules.endpointChange(before, after, clusterCidr);
                case vipd -> EdgeConfigs.compact(changed);
                case iptables_base, iptables_full ->
                    throw new IllegalArgumentException(
                            "an endpoint change is written with --format iptables (kube-proxy's partial sync)");
            };
        }
        Files.writeString(out, text, StandardCharsets.UTF_8);
        return 0;
    }

    private static BenchService.Endpoint parseEndpoint(String ipPort) {
        int colon = ipPort.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("endpoint must be IP:PORT, not " + ipPort);
        }
        return new BenchService.Endpoint(ipPort.substring(0, colon), Integer.parseInt(ipPort.substring(colon + 1)));
    }
}
