package io.vipd.nodeport.interception;

import io.vipd.lb.Action;
import io.vipd.lb.Addresses;
import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.Cidr;
import io.vipd.lb.Frontend;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.Route;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import java.net.Inet6Address;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * SCTP service ports, forwarded in the kernel: TPROXY intercepts only TCP and UDP, so an SCTP association is
 * DNATed to an endpoint as kube-proxy's nftables mode does it. Per service port and IP family: a chain per
 * endpoint (DNAT, and masquerade for a pod reaching itself), a policy chain per endpoint set that picks one at
 * random ({@code numgen random mod N vmap}), and for NodePorts, externalIPs and LoadBalancer IPs an external
 * chain that marks for masquerade (externalTrafficPolicy Cluster) or short-circuits pod and node traffic to the
 * cluster endpoints (Local); the maps in {@link NftSet} send each frontend to its chain. ClusterIP traffic from
 * outside the pod CIDRs is masqueraded, as kube-proxy does when it can tell pod traffic apart.
 *
 * <p>The reject and drop decisions are the TCP and UDP ones ({@link NftElements}: the filter chain acts before
 * NAT); so are loadBalancerSourceRanges. ClientIP session affinity is kube-proxy's (a timed set of clients per
 * endpoint), so it is not shared with the proxy's affinity table. Endpoint weights are not used. Pure
 * functions.
 */
public final class SctpForwarding {
    /** Marks a packet for masquerade in postrouting; the chain sets {@link InterceptionConfig#masqueradeMark}. */
    static final String MARK_FOR_MASQUERADE = "mark-for-masquerade";

    /**
     * What one SCTP service port adds to the table.
     *
     * @param sets     its ClientIP affinity sets (name to declaration), which its chains use
     * @param chains   its chains, each with its rules, a chain listed after the chains it jumps to
     * @param elements its map elements ({@code key : goto chain})
     */
    public record Rules(Map<String, String> sets, Map<String, List<String>> chains, Map<NftSet, Set<String>> elements) {
        static final Rules NONE = new Rules(Map.of(), Map.of(), Map.of());
    }

    private SctpForwarding() {}

    /** The chains and map elements of {@code entry}; none unless it is an SCTP service port. */
    public static Rules of(ServicePortEntry entry, InterceptionConfig config) {
        if (entry.name().protocol() != Protocol.SCTP) {
            return Rules.NONE;
        }
        Map<String, String> sets = new LinkedHashMap<>();
        Map<String, List<String>> chains = new LinkedHashMap<>();
        Map<NftSet, Set<String>> elements = new EnumMap<>(NftSet.class);
        for (boolean v6 : new boolean[] {false, true}) {
            if (entry.hasFamily(v6)) {
                family(entry, config, v6, sets, chains, elements);
            }
        }
        return new Rules(sets, chains, elements);
    }

    private static void family(
            ServicePortEntry entry,
            InterceptionConfig config,
            boolean v6,
            Map<String, String> sets,
            Map<String, List<String>> chains,
            Map<NftSet, Set<String>> elements) {
        String ip = v6 ? "ip6" : "ip";
        String prefix = chainPrefix(entry, v6);
        Route internal = entry.route(FrontendType.CLUSTER_IP, false, v6);
        Route external = entry.route(FrontendType.NODE_PORT, false, v6);
        // External traffic from a local pod or the node itself takes the cluster endpoints under either policy.
        Route cluster = entry.route(FrontendType.NODE_PORT, true, v6);
        if (!forwards(cluster, v6)) {
            return; // no endpoint of this family anywhere: the filter chain rejects
        }
        List<String> podCidrs = new ArrayList<>();
        for (Cidr c : NftElements.disjoint(config.clusterCidrs())) {
            if (c.isIpv4() != v6) {
                podCidrs.add(NftElements.interval(c));
            }
        }
        String pods = podCidrs.isEmpty() ? null : "{ " + String.join(", ", podCidrs) + " }";

        Map<BackendSet, String> policyChains = new LinkedHashMap<>();
        for (Route r : List.of(cluster, internal, external)) {
            if (forwards(r, v6) && !policyChains.containsKey(r.backends())) {
                String role = r.backends().equals(cluster.backends()) ? "cluster" : "local";
                policyChains.put(r.backends(), prefix + role);
            }
        }
        Map<String, List<String>> policyRules = new LinkedHashMap<>();
        for (Map.Entry<BackendSet, String> p : policyChains.entrySet()) {
            List<String> targets = new ArrayList<>();
            List<String> sticky = new ArrayList<>();
            for (Backend b : eligible(p.getKey(), v6)) {
                String ep = prefix + "ep-" + hash(b.key());
                String affinity = null;
                if (entry.clientIpAffinity()) {
                    // kube-proxy's ClientIP affinity: a set per endpoint of the clients it served, each entry
                    // expiring after the timeout; a client in one goes back to that endpoint. The timeout is
                    // in the name: a set's timeout cannot change, so a new timeout makes a new set.
                    affinity = prefix + "affinity-" + hash(b.key()) + "-" + entry.affinityTimeoutSeconds();
                    sets.put(
                            affinity,
                            "type " + (v6 ? "ipv6_addr" : "ipv4_addr") + "; flags dynamic,timeout; timeout "
                                    + entry.affinityTimeoutSeconds() + "s;");
                    sticky.add(ip + " saddr @" + affinity + " goto " + ep);
                }
                if (!chains.containsKey(ep)) {
                    chains.put(ep, endpointRules(ip, b, affinity));
                }
                targets.add(targets.size() + " : goto " + ep);
            }
            List<String> rules = new ArrayList<>();
            if (p.getKey().equals(internal.backends()) && forwards(internal, v6) && pods != null) {
                // ClusterIP traffic from outside the pod network is masqueraded: its reply must come back here.
                for (ServiceFrontend sf : entry.frontends()) {
                    if (sf.type() == FrontendType.CLUSTER_IP && isFamily(sf.frontend(), v6)) {
                        rules.add(ip + " daddr "
                                + Addresses.ipString(sf.frontend().address()) + " sctp dport "
                                + sf.frontend().port() + " " + ip + " saddr != " + pods + " jump "
                                + MARK_FOR_MASQUERADE);
                    }
                }
            }
            rules.addAll(sticky);
            rules.add("numgen random mod " + targets.size() + " vmap { " + String.join(", ", targets) + " }");
            policyRules.put(p.getValue(), rules);
        }
        chains.putAll(policyRules);

        String ext = prefix + "external";
        boolean externalFrontends = false;
        for (ServiceFrontend sf : entry.frontends()) {
            Frontend f = sf.frontend();
            if (sf.type() == FrontendType.CLUSTER_IP) {
                if (isFamily(f, v6) && forwards(internal, v6)) {
                    add(
                            elements,
                            v6 ? NftSet.SCTP_SERVICE_IPS_V6 : NftSet.SCTP_SERVICE_IPS_V4,
                            key(f) + " : goto " + policyChains.get(internal.backends()));
                }
            } else if (f.isNodePort()) {
                externalFrontends = true;
                add(elements, v6 ? NftSet.SCTP_NODEPORTS_V6 : NftSet.SCTP_NODEPORTS_V4, key(f) + " : goto " + ext);
            } else if (isFamily(f, v6)) {
                externalFrontends = true;
                add(elements, v6 ? NftSet.SCTP_SERVICE_IPS_V6 : NftSet.SCTP_SERVICE_IPS_V4, key(f) + " : goto " + ext);
            }
        }
        if (externalFrontends) {
            chains.put(
                    ext,
                    externalRules(entry, v6, ip, pods, policyChains.get(cluster.backends()), external, policyChains));
        }
    }

    private static List<String> externalRules(
            ServicePortEntry entry,
            boolean v6,
            String ip,
            String pods,
            String clusterChain,
            Route external,
            Map<BackendSet, String> policyChains) {
        List<String> rules = new ArrayList<>();
        if (!entry.externalPolicyLocal()) {
            // The endpoint may be on another node: its reply must come back through this one.
            rules.add("jump " + MARK_FOR_MASQUERADE);
        } else {
            if (pods != null) {
                rules.add(ip + " saddr " + pods + " goto " + clusterChain);
            }
            // The node's own traffic: its source address is local, so it is masqueraded to the cluster endpoints.
            rules.add("fib saddr type local jump " + MARK_FOR_MASQUERADE);
            rules.add("fib saddr type local goto " + clusterChain);
        }
        if (forwards(external, v6)) {
            rules.add("goto " + policyChains.get(external.backends()));
        }
        return rules;
    }

    private static List<String> endpointRules(String ip, Backend b, String affinitySet) {
        String address = Addresses.ipString(b.ip());
        String to = b.ip() instanceof Inet6Address ? "[" + address + "]" : address;
        List<String> rules = new ArrayList<>();
        // A pod reaching itself through the service: masquerade, or it would answer itself directly.
        rules.add(ip + " saddr " + address + " jump " + MARK_FOR_MASQUERADE);
        if (affinitySet != null) {
            rules.add("update @" + affinitySet + " { " + ip + " saddr }");
        }
        rules.add("meta l4proto sctp dnat " + ip + " to " + to + ":" + b.port());
        return rules;
    }

    private static boolean forwards(Route r, boolean v6) {
        return r.action() == Action.FORWARD && !eligible(r.backends(), v6).isEmpty();
    }

    /**
     * The backends of the family that take new associations (positive weight), in the set's canonical order;
     * an entry without per-family routes (edge mode) may hold both families.
     */
    private static List<Backend> eligible(BackendSet set, boolean v6) {
        List<Backend> out = new ArrayList<>();
        for (int i = 0; i < set.size(); i++) {
            Backend b = set.get(i);
            if (b.weight() > 0 && (b.ip() instanceof Inet6Address) == v6) {
                out.add(b);
            }
        }
        return out;
    }

    private static boolean isFamily(Frontend f, boolean v6) {
        return f.address() != null && (f.address() instanceof Inet6Address) == v6;
    }

    private static String key(Frontend f) {
        return f.isNodePort() ? "sctp . " + f.port() : Addresses.ipString(f.address()) + " . sctp . " + f.port();
    }

    /**
     * "sctp-HASH-ns/name/port-v4-": readable, and unique by the hash of the whole service port name (a name
     * alone could collide once cut short). nft takes letters, digits and {@code / - _ .} in chain names.
     */
    static String chainPrefix(ServicePortEntry entry, boolean v6) {
        String readable = entry.name().service().namespace() + "/"
                + entry.name().service().name() + "/" + entry.name().port();
        return "sctp-" + hash(entry.name().toString()) + "-" + readable + "-" + (v6 ? "v6" : "v4") + "-";
    }

    /** 8 characters of base32 SHA-256, as kube-proxy names its chains. */
    static String hash(String s) {
        byte[] d;
        try {
            d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        StringBuilder b = new StringBuilder();
        long bits = 0;
        for (int i = 0; i < 5; i++) {
            bits = (bits << 8) | (d[i] & 0xff);
        }
        for (int i = 7; i >= 0; i--) {
            b.append(alphabet.charAt((int) ((bits >>> (i * 5)) & 31)));
        }
        return b.toString();
    }

    private static void add(Map<NftSet, Set<String>> out, NftSet set, String el) {
        out.computeIfAbsent(set, k -> new LinkedHashSet<>()).add(el);
    }
}
