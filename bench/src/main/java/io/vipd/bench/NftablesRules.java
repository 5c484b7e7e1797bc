package io.vipd.bench;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Renders a Service set as the {@code nft -f} transaction kube-proxy's nftables mode runs
 * ({@code pkg/proxy/nftables/proxier.go}: {@code setupNFTables} and {@code syncProxyRules}) in table
 * {@code ip kube-proxy}: ClusterIP rules only, Cluster traffic policy, no session affinity. Dispatch is one lookup in
 * the {@code service-ips} verdict map ({@code ipv4_addr . inet_proto . inet_service : goto service-...}); a service
 * chain marks traffic from outside the cluster CIDR for masquerade and picks an endpoint chain with
 * {@code numgen random mod N vmap}; an endpoint chain marks hairpin traffic and DNATs. Pure.
 */
public final class NftablesRules {
    static final String TABLE = "ip kube-proxy";
    static final String MASQ_MARK = "0x4000";

    /**
     * Base chains: name, type, hook, priority (kube-proxy's {@code nftablesBaseChains}). Priorities are written as
     * numbers (dstnat = -100, srcnat = 100) because nft before 1.0.7 accepts "dstnat" only on the prerouting hook.
     */
    private static final String[][] BASE_CHAINS = {
        {"filter-prerouting", "filter", "prerouting", "-110"},
        {"filter-input", "filter", "input", "-110"},
        {"filter-forward", "filter", "forward", "-110"},
        {"filter-output", "filter", "output", "-110"},
        {"filter-output-post-dnat", "filter", "output", "-90"},
        {"nat-prerouting", "nat", "prerouting", "-100"},
        {"nat-output", "nat", "output", "-100"},
        {"nat-postrouting", "nat", "postrouting", "100"},
    };

    /** Regular chains jumped to from base chains: target, source, match (kube-proxy's {@code nftablesJumpChains}). */
    private static final String[][] JUMP_CHAINS = {
        {"nodeport-endpoints-check", "filter-input", "ct state new "},
        {"service-endpoints-check", "filter-input", "ct state new "},
        {"service-endpoints-check", "filter-forward", "ct state new "},
        {"service-endpoints-check", "filter-output", "ct state new "},
        {"firewall-check", "filter-prerouting", "ct state new "},
        {"firewall-check", "filter-output", "ct state new "},
        {"services", "nat-output", ""},
        {"services", "nat-prerouting", ""},
        {"masquerading", "nat-postrouting", ""},
        {"cluster-ips-check", "filter-forward", "ct state new "},
        {"cluster-ips-check", "filter-output-post-dnat", "ct state new "},
    };

    private NftablesRules() {}

    /**
     * kube-proxy's first (full) sync into an empty namespace: the table, base chains, jump chains, maps, then every
     * service's elements and chains.
     *
     * @param serviceCidr the ClusterIP range (traffic to unallocated ClusterIPs in it is dropped)
     * @param clusterCidr the pod range (traffic from outside it is masqueraded)
     */
    public static String fullSync(List<BenchService> services, String serviceCidr, String clusterCidr) {
        StringBuilder out = new StringBuilder(4096 + services.size() * 2048);
        setup(out, serviceCidr);
        // Chains before the map elements that jump to them: nft resolves a verdict's chain when the element is added.
        for (BenchService s : services) {
            serviceChains(out, s, clusterCidr);
        }
        for (BenchService s : services) {
            line(out, "add element %s cluster-ips { %s }", TABLE, s.vip());
            line(
                    out,
                    "add element %s service-ips { %s . %s . %d : goto %s }",
                    TABLE,
                    s.vip(),
                    s.protocol(),
                    s.port(),
                    KubeProxyNames.nftServiceChain(s));
        }
        return out.toString();
    }

    /**
     * kube-proxy's partial sync after one service port's endpoints changed: its service chain and the new endpoint
     * chains rewritten, endpoint chains no longer used flushed (kube-proxy deletes them a second later).
     */
    public static String endpointChange(BenchService before, BenchService after, String clusterCidr) {
        StringBuilder out = new StringBuilder(4096);
        serviceChains(out, after, clusterCidr);
        for (BenchService.Endpoint e : before.endpoints()) {
            if (!after.endpoints().contains(e)) {
                line(out, "flush chain %s %s", TABLE, KubeProxyNames.nftEndpointChain(before, e));
            }
        }
        return out.toString();
    }

    private static void setup(StringBuilder out, String serviceCidr) {
        line(out, "add table %s { comment \"rules for kube-proxy\" ; }", TABLE);
        for (String[] c : BASE_CHAINS) {
            line(out, "add chain %s %s { type %s hook %s priority %s ; }", TABLE, c[0], c[1], c[2], c[3]);
            line(out, "flush chain %s %s", TABLE, c[0]);
        }
        Set<String> created = new LinkedHashSet<>();
        for (String[] j : JUMP_CHAINS) {
            ensureChain(out, j[0], created);
            line(out, "add rule %s %s %sjump %s", TABLE, j[1], j[2], j[0]);
        }
        for (String chain : List.of("services", "cluster-ips-check", "masquerading", "mark-for-masquerade")) {
            ensureChain(out, chain, created);
        }
        line(out, "add rule %s mark-for-masquerade mark set mark or %s", TABLE, MASQ_MARK);
        line(out, "add rule %s masquerading mark and %s == 0 return", TABLE, MASQ_MARK);
        line(out, "add rule %s masquerading mark set mark xor %s", TABLE, MASQ_MARK);
        line(out, "add rule %s masquerading masquerade fully-random", TABLE);
        line(out, "add set %s cluster-ips { type ipv4_addr ; comment \"Active ClusterIPs\" ; }", TABLE);
        line(
                out,
                "add rule %s cluster-ips-check ip daddr @cluster-ips reject comment"
                        + " \"Reject traffic to invalid ports of ClusterIPs\"",
                TABLE);
        line(
                out,
                "add rule %s cluster-ips-check ip daddr { %s } drop comment"
                        + " \"Drop traffic to unallocated ClusterIPs\"",
                TABLE,
                serviceCidr);
        line(
                out,
                "add map %s no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ;"
                        + " comment \"vmap to drop or reject packets to services with no endpoints\" ; }",
                TABLE);
        line(
                out,
                "add map %s no-endpoint-nodeports { type inet_proto . inet_service : verdict ;"
                        + " comment \"vmap to drop or reject packets to service nodeports with no endpoints\" ; }",
                TABLE);
        line(
                out,
                "add chain %s reject-chain { comment \"helper for @no-endpoint-services / @no-endpoint-nodeports\""
                        + " ; }",
                TABLE);
        line(out, "flush chain %s reject-chain", TABLE);
        line(out, "add rule %s reject-chain reject", TABLE);
        line(
                out,
                "add rule %s service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
                TABLE);
        line(
                out,
                "add rule %s nodeport-endpoints-check ip daddr != 127.0.0.0/8 meta l4proto . th dport"
                        + " vmap @no-endpoint-nodeports",
                TABLE);
        line(
                out,
                "add map %s firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ;"
                        + " comment \"destinations that are subject to LoadBalancerSourceRanges\" ; }",
                TABLE);
        line(out, "add rule %s firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips", TABLE);
        line(
                out,
                "add map %s service-ips { type ipv4_addr . inet_proto . inet_service : verdict ;"
                        + " comment \"ClusterIP, ExternalIP and LoadBalancer IP traffic\" ; }",
                TABLE);
        line(
                out,
                "add map %s service-nodeports { type inet_proto . inet_service : verdict ;"
                        + " comment \"NodePort traffic\" ; }",
                TABLE);
        line(out, "add rule %s services ip daddr . meta l4proto . th dport vmap @service-ips", TABLE);
        line(
                out,
                "add rule %s services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport"
                        + " vmap @service-nodeports",
                TABLE);
        for (String set : List.of(
                "set %s cluster-ips",
                "map %s service-ips",
                "map %s firewall-ips",
                "map %s no-endpoint-services",
                "map %s no-endpoint-nodeports",
                "map %s service-nodeports")) {
            line(out, "flush " + set, TABLE);
        }
    }

    private static void ensureChain(StringBuilder out, String chain, Set<String> created) {
        if (created.add(chain)) {
            line(out, "add chain %s %s", TABLE, chain);
            line(out, "flush chain %s %s", TABLE, chain);
        }
    }

    private static void serviceChains(StringBuilder out, BenchService s, String clusterCidr) {
        String svcChain = KubeProxyNames.nftServiceChain(s);
        line(out, "add chain %s %s", TABLE, svcChain);
        line(out, "flush chain %s %s", TABLE, svcChain);
        for (BenchService.Endpoint e : s.endpoints()) {
            String epChain = KubeProxyNames.nftEndpointChain(s, e);
            line(out, "add chain %s %s", TABLE, epChain);
            line(out, "flush chain %s %s", TABLE, epChain);
        }
        line(
                out,
                "add rule %s %s ip daddr %s %s dport %d ip saddr != %s jump mark-for-masquerade",
                TABLE,
                svcChain,
                s.vip(),
                s.protocol(),
                s.port(),
                clusterCidr);
        StringBuilder vmap = new StringBuilder();
        List<BenchService.Endpoint> endpoints = s.endpoints();
        for (int i = 0; i < endpoints.size(); i++) {
            if (i > 0) {
                vmap.append(", ");
            }
            vmap.append(i).append(" : goto ").append(KubeProxyNames.nftEndpointChain(s, endpoints.get(i)));
        }
        line(out, "add rule %s %s numgen random mod %d vmap { %s }", TABLE, svcChain, endpoints.size(), vmap);
        for (BenchService.Endpoint e : endpoints) {
            String epChain = KubeProxyNames.nftEndpointChain(s, e);
            line(out, "add rule %s %s ip saddr %s jump mark-for-masquerade", TABLE, epChain, e.ip());
            line(out, "add rule %s %s meta l4proto %s dnat to %s", TABLE, epChain, s.protocol(), e);
        }
    }

    private static void line(StringBuilder out, String format, Object... args) {
        out.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
