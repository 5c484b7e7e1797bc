package io.vipd.bench;

import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Renders a Service set as the {@code iptables-restore --noflush} input kube-proxy's iptables mode writes
 * ({@code pkg/proxy/iptables/proxier.go}, {@code syncProxyRules}): ClusterIP rules only, Cluster traffic policy, no
 * session affinity. Chains and rule shapes are kube-proxy's: {@code KUBE-SERVICES} → {@code KUBE-SVC-<hash>} (a
 * masquerade-mark rule for traffic from outside the cluster CIDR, then one {@code -m statistic --mode random
 * --probability 1/(n-i)} jump per endpoint, the last without) → {@code KUBE-SEP-<hash>} (hairpin mark, DNAT);
 * {@code KUBE-MARK-MASQ} sets 0x4000 and {@code KUBE-POSTROUTING} masquerades marked packets. Pure.
 */
public final class IptablesRules {
    /** kube-proxy's default {@code --iptables-masquerade-bit 14}. */
    static final String MASQ_MARK = "0x4000";

    /** kube-proxy's {@code largeClusterEndpointsThreshold}. */
    static final int LARGE_CLUSTER_ENDPOINTS = 1000;

    private IptablesRules() {}

    /**
     * The jump rules kube-proxy ensures in the built-in chains (outside the restore it syncs), as restore input.
     * Load once into a fresh namespace before the first {@link #fullSync}.
     */
    public static String baseJumps() {
        StringBuilder out = new StringBuilder();
        out.append("*filter\n");
        for (String chain : List.of(
                "KUBE-SERVICES",
                "KUBE-EXTERNAL-SERVICES",
                "KUBE-FORWARD",
                "KUBE-NODEPORTS",
                "KUBE-PROXY-FIREWALL",
                "KUBE-FIREWALL")) {
            out.append(':').append(chain).append(" - [0:0]\n");
        }
        out.append("-A INPUT -j KUBE-FIREWALL\n");
        out.append("-A OUTPUT -j KUBE-FIREWALL\n");
        out.append("-A INPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes load balancer firewall\""
                + " -j KUBE-PROXY-FIREWALL\n");
        out.append("-A INPUT -m comment --comment \"kubernetes health check service ports\" -j KUBE-NODEPORTS\n");
        out.append("-A INPUT -m conntrack --ctstate NEW -m comment --comment"
                + " \"kubernetes externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES\n");
        out.append("-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes load balancer firewall\""
                + " -j KUBE-PROXY-FIREWALL\n");
        out.append("-A FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD\n");
        out.append("-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\""
                + " -j KUBE-SERVICES\n");
        out.append("-A FORWARD -m conntrack --ctstate NEW -m comment --comment"
                + " \"kubernetes externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES\n");
        out.append("-A OUTPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes load balancer firewall\""
                + " -j KUBE-PROXY-FIREWALL\n");
        out.append("-A OUTPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\""
                + " -j KUBE-SERVICES\n");
        out.append("COMMIT\n");
        out.append("*nat\n");
        for (String chain : List.of("KUBE-SERVICES", "KUBE-POSTROUTING")) {
            out.append(':').append(chain).append(" - [0:0]\n");
        }
        out.append("-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n");
        out.append("-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n");
        out.append("-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING\n");
        out.append("COMMIT\n");
        return out.toString();
    }

    /** A full sync: every chain declared (and so flushed) and rewritten. */
    public static String fullSync(List<BenchService> services, String clusterCidr) {
        return sync(services, clusterCidr, services, Set.of());
    }

    /**
     * {@link #baseJumps} and {@link #fullSync} as one restore for {@code iptables-restore} without {@code --noflush},
     * into tables that hold nothing else: per table every chain line, then the base jumps, then the sync's rules. The
     * rules that result are the ones kube-proxy's two steps leave. Why the harness restores this way: iptables-nft
     * 1.8.9 with {@code --noflush} keeps the names of the chains a restore mentions in a sorted linked list
     * ({@code nft_cache_level_set}), quadratic in the number of chains; a table flush switches that list off.
     */
    public static String fullRestore(List<BenchService> services, String clusterCidr) {
        Map<String, Set<String>> chains = new LinkedHashMap<>();
        Map<String, StringBuilder> rules = new LinkedHashMap<>();
        for (String restore : List.of(baseJumps(), fullSync(services, clusterCidr))) {
            String table = null;
            for (String line : restore.split("\n")) {
                if (line.startsWith("*")) {
                    table = line;
                    chains.computeIfAbsent(table, t -> new LinkedHashSet<>());
                    rules.computeIfAbsent(table, t -> new StringBuilder());
                } else if (line.startsWith(":")) {
                    chains.get(table).add(line);
                } else if (!line.equals("COMMIT")) {
                    rules.get(table).append(line).append('\n');
                }
            }
        }
        StringBuilder out = new StringBuilder(256 + services.size() * 2048);
        for (Map.Entry<String, Set<String>> table : chains.entrySet()) {
            out.append(table.getKey()).append('\n');
            table.getValue().forEach(chain -> out.append(chain).append('\n'));
            out.append(rules.get(table.getKey())).append("COMMIT\n");
        }
        return out.toString();
    }

    /**
     * A partial sync after {@code before} was replaced by {@code after} (same service port, other endpoints), as
     * kube-proxy 1.28+ writes it: the top-level chains in full, only the changed service's own chains, and the
     * endpoint chains that are no longer used flushed and deleted ({@code -X}).
     */
    public static String endpointChange(
            List<BenchService> servicesAfter, String clusterCidr, BenchService before, BenchService after) {
        Set<String> stale = new LinkedHashSet<>();
        for (BenchService.Endpoint e : before.endpoints()) {
            if (!after.endpoints().contains(e)) {
                stale.add(KubeProxyNames.iptablesEndpointChain(before, e));
            }
        }
        return sync(servicesAfter, clusterCidr, List.of(after), stale);
    }

    private static String sync(
            List<BenchService> services,
            String clusterCidr,
            Collection<BenchService> rewritten,
            Set<String> staleChains) {
        StringBuilder out = new StringBuilder(256 + services.size() * 2048);
        filterTable(out);
        boolean largeCluster = largeCluster(services);
        out.append("*nat\n");
        // kube-proxy's natChains buffer: every chain line of the table comes before its first rule.
        for (String chain : List.of("KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ")) {
            out.append(':').append(chain).append(" - [0:0]\n");
        }
        for (BenchService s : rewritten) {
            out.append(':').append(KubeProxyNames.iptablesServiceChain(s)).append(" - [0:0]\n");
            for (BenchService.Endpoint e : s.endpoints()) {
                out.append(':')
                        .append(KubeProxyNames.iptablesEndpointChain(s, e))
                        .append(" - [0:0]\n");
            }
        }
        for (String chain : staleChains) {
            out.append(':').append(chain).append(" - [0:0]\n");
        }
        // kube-proxy's natRules buffer, in its order: postrouting and mark chains, then service by service the
        // KUBE-SERVICES jump followed by that service's own chains (only for rewritten services), then the deletion
        // of stale chains, then the nodeports jump that must stay last in KUBE-SERVICES.
        out.append("-A KUBE-POSTROUTING -m mark ! --mark ")
                .append(MASQ_MARK)
                .append('/')
                .append(MASQ_MARK)
                .append(" -j RETURN\n");
        out.append("-A KUBE-POSTROUTING -j MARK --xor-mark ").append(MASQ_MARK).append('\n');
        out.append("-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\""
                + " -j MASQUERADE --random-fully\n");
        out.append("-A KUBE-MARK-MASQ -j MARK --or-mark ").append(MASQ_MARK).append('\n');
        Set<BenchService> rewrittenSet = new HashSet<>(rewritten);
        for (BenchService s : services) {
            out.append("-A KUBE-SERVICES -m comment --comment \"")
                    .append(s.servicePortName())
                    .append(" cluster IP\" -m ")
                    .append(s.protocol())
                    .append(" -p ")
                    .append(s.protocol())
                    .append(" -d ")
                    .append(s.vip())
                    .append(" --dport ")
                    .append(s.port())
                    .append(" -j ")
                    .append(KubeProxyNames.iptablesServiceChain(s))
                    .append('\n');
            if (rewrittenSet.contains(s)) {
                serviceChains(out, s, clusterCidr, largeCluster);
            }
        }
        for (String chain : staleChains) {
            out.append("-X ").append(chain).append('\n');
        }
        out.append("-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last"
                + " rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n");
        out.append("COMMIT\n");
        return out.toString();
    }

    /**
     * kube-proxy's {@code largeClusterMode}: above {@value #LARGE_CLUSTER_ENDPOINTS} endpoints in all, it leaves the
     * comments out of the service-to-endpoint and endpoint rules.
     */
    static boolean largeCluster(List<BenchService> services) {
        int endpoints = 0;
        for (BenchService s : services) {
            endpoints += s.endpoints().size();
        }
        return endpoints > LARGE_CLUSTER_ENDPOINTS;
    }

    private static void filterTable(StringBuilder out) {
        out.append("*filter\n");
        for (String chain : List.of(
                "KUBE-SERVICES",
                "KUBE-EXTERNAL-SERVICES",
                "KUBE-FORWARD",
                "KUBE-NODEPORTS",
                "KUBE-PROXY-FIREWALL",
                "KUBE-FIREWALL")) {
            out.append(':').append(chain).append(" - [0:0]\n");
        }
        // Written by kube-proxy with --iptables-localhost-nodeports (the default) on IPv4.
        out.append("-A KUBE-FIREWALL -m comment --comment \"block incoming localnet connections\" -d 127.0.0.0/8"
                + " ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP\n");
        out.append("-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP\n");
        out.append("-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark ")
                .append(MASQ_MARK)
                .append('/')
                .append(MASQ_MARK)
                .append(" -j ACCEPT\n");
        out.append("-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\""
                + " -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n");
        out.append("COMMIT\n");
    }

    private static void serviceChains(StringBuilder out, BenchService s, String clusterCidr, boolean largeCluster) {
        String svcChain = KubeProxyNames.iptablesServiceChain(s);
        String name = s.servicePortName();
        out.append("-A ")
                .append(svcChain)
                .append(" -m comment --comment \"")
                .append(name)
                .append(" cluster IP\" -m ")
                .append(s.protocol())
                .append(" -p ")
                .append(s.protocol())
                .append(" -d ")
                .append(s.vip())
                .append(" --dport ")
                .append(s.port())
                .append(" ! -s ")
                .append(clusterCidr)
                .append(" -j KUBE-MARK-MASQ\n");
        List<BenchService.Endpoint> endpoints = s.endpoints();
        int n = endpoints.size();
        for (int i = 0; i < n; i++) {
            BenchService.Endpoint e = endpoints.get(i);
            out.append("-A ").append(svcChain);
            if (!largeCluster) {
                out.append(" -m comment --comment \"")
                        .append(name)
                        .append(" -> ")
                        .append(e)
                        .append('"');
            }
            if (i < n - 1) {
                out.append(" -m statistic --mode random --probability ").append(probability(n - i));
            }
            out.append(" -j ")
                    .append(KubeProxyNames.iptablesEndpointChain(s, e))
                    .append('\n');
        }
        for (BenchService.Endpoint e : endpoints) {
            String sepChain = KubeProxyNames.iptablesEndpointChain(s, e);
            String comment = largeCluster ? "" : " -m comment --comment " + name;
            out.append("-A ")
                    .append(sepChain)
                    .append(comment)
                    .append(" -s ")
                    .append(e.ip())
                    .append(" -j KUBE-MARK-MASQ\n");
            out.append("-A ")
                    .append(sepChain)
                    .append(comment)
                    .append(" -m ")
                    .append(s.protocol())
                    .append(" -p ")
                    .append(s.protocol())
                    .append(" -j DNAT --to-destination ")
                    .append(e)
                    .append('\n');
        }
    }

    /** kube-proxy's {@code computeProbability}: 1/n with ten decimals. */
    static String probability(int n) {
        return String.format(Locale.ROOT, "%.10f", 1.0 / n);
    }
}
