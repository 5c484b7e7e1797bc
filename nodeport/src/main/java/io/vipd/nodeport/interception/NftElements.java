package io.vipd.nodeport.interception;

import io.vipd.lb.Action;
import io.vipd.lb.Addresses;
import io.vipd.lb.Cidr;
import io.vipd.lb.Frontend;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The set elements one service port contributes, and those the node itself contributes, as nft prints them
 * ({@code 198.18.0.10 . tcp . 80}, {@code udp . 30053}, {@code 198.18.0.0/16}). Pure functions.
 */
public final class NftElements {
    private NftElements() {}

    /**
     * What {@code entry} puts in each set: its frontends, and its reject/drop/firewall entries (kube-proxy's
     * no-endpoint and source-range behaviour, kube-proxy-semantics.md §1.5 and §1.10). An SCTP port's frontends
     * are not intercepted ({@link SctpForwarding} forwards them), but are rejected, dropped and firewalled alike.
     *
     * @param nodeAddresses the node's addresses: a LoadBalancer IP is allowed as a source when a source
     *                      range contains a node address (kube-proxy's hairpin rule)
     */
    public static Map<NftSet, Set<String>> of(ServicePortEntry entry, List<InetAddress> nodeAddresses) {
        Map<NftSet, Set<String>> out = new EnumMap<>(NftSet.class);
        boolean intercepted = entry.name().protocol() != Protocol.SCTP;
        for (ServiceFrontend sf : entry.frontends()) {
            Frontend f = sf.frontend();
            String proto = proto(f.protocol());
            if (f.isNodePort()) {
                String el = proto + " . " + f.port();
                if (intercepted) {
                    add(out, NftSet.NODEPORTS, el);
                }
                addAction(out, nodePortAction(entry), NftSet.REJECT_NODEPORTS, NftSet.DROP_EXTERNAL_NODEPORTS, el);
                continue;
            }
            boolean v6 = f.address() instanceof Inet6Address;
            String el = Addresses.ipString(f.address()) + " . " + proto + " . " + f.port();
            if (intercepted) {
                add(out, v6 ? NftSet.FRONTENDS_V6 : NftSet.FRONTENDS_V4, el);
            }
            // Each frontend's own family decides, as kube-proxy's proxier of that family would.
            Action action = entry.route(sf.type(), false, v6).action();
            if (sf.type() == FrontendType.CLUSTER_IP) {
                addAction(
                        out,
                        action,
                        v6 ? NftSet.REJECT_V6 : NftSet.REJECT_V4,
                        v6 ? NftSet.DROP_V6 : NftSet.DROP_V4,
                        el);
            } else {
                addAction(
                        out,
                        action,
                        v6 ? NftSet.REJECT_V6 : NftSet.REJECT_V4,
                        v6 ? NftSet.DROP_EXTERNAL_V6 : NftSet.DROP_EXTERNAL_V4,
                        el);
            }
            if (sf.type() == FrontendType.LOAD_BALANCER) {
                firewall(out, entry, f, el, v6, nodeAddresses);
            }
        }
        return out;
    }

    /**
     * The NodePort sets hold {@code proto . port} for both families, so they reject or drop only when every
     * family the entry routes agrees; otherwise the proxy, which sees each flow's family, decides.
     */
    static Action nodePortAction(ServicePortEntry entry) {
        Action v4 = entry.route(FrontendType.NODE_PORT, false, false).action();
        Action v6 = entry.route(FrontendType.NODE_PORT, false, true).action();
        if (!entry.hasFamily(true)) {
            return v4;
        }
        if (!entry.hasFamily(false)) {
            return v6;
        }
        return v4 == v6 ? v4 : Action.FORWARD;
    }

    /** The node-wide elements: NodePort addresses and pod CIDRs. */
    public static Map<NftSet, Set<String>> node(InterceptionConfig config) {
        Map<NftSet, Set<String>> out = new EnumMap<>(NftSet.class);
        for (InetAddress a : config.nodePortAddresses()) {
            add(
                    out,
                    a instanceof Inet6Address ? NftSet.NODEPORT_IPS_V6 : NftSet.NODEPORT_IPS_V4,
                    Addresses.ipString(a));
        }
        for (Cidr c : disjoint(config.clusterCidrs())) {
            add(out, c.isIpv4() ? NftSet.CLUSTER_CIDRS_V4 : NftSet.CLUSTER_CIDRS_V6, interval(c));
        }
        return out;
    }

    private static void firewall(
            Map<NftSet, Set<String>> out,
            ServicePortEntry entry,
            Frontend f,
            String el,
            boolean v6,
            List<InetAddress> nodeAddresses) {
        List<Cidr> ranges = new ArrayList<>();
        for (Cidr c : entry.sourceRanges()) {
            if (c.isIpv4() != !v6) {
                continue;
            }
            ranges.add(c);
        }
        if (ranges.isEmpty()) {
            return;
        }
        boolean nodeInRange = false;
        for (InetAddress a : nodeAddresses) {
            for (Cidr c : ranges) {
                nodeInRange |= c.contains(a);
            }
        }
        if (nodeInRange) {
            ranges.add(new Cidr(f.address(), f.address().getAddress().length * 8));
        }
        add(out, v6 ? NftSet.FIREWALL_V6 : NftSet.FIREWALL_V4, el);
        for (Cidr c : disjoint(ranges)) {
            add(out, v6 ? NftSet.FIREWALL_ALLOW_V6 : NftSet.FIREWALL_ALLOW_V4, el + " . " + interval(c));
        }
    }

    private static void addAction(Map<NftSet, Set<String>> out, Action action, NftSet reject, NftSet drop, String el) {
        if (action == Action.REJECT) {
            add(out, reject, el);
        } else if (action == Action.DROP) {
            add(out, drop, el);
        }
    }

    /**
     * The CIDRs with those inside another removed and host bits cleared: nft refuses overlapping intervals.
     */
    static List<Cidr> disjoint(List<Cidr> cidrs) {
        List<Cidr> normal = new ArrayList<>();
        for (Cidr c : cidrs) {
            normal.add(normalize(c));
        }
        List<Cidr> out = new ArrayList<>();
        for (int i = 0; i < normal.size(); i++) {
            Cidr c = normal.get(i);
            boolean covered = false;
            for (int j = 0; j < normal.size() && !covered; j++) {
                Cidr o = normal.get(j);
                if (i != j
                        && o.isIpv4() == c.isIpv4()
                        && o.contains(c.network())
                        && (o.prefixLength() < c.prefixLength() || (o.equals(c) && j < i))) {
                    covered = true;
                }
            }
            if (!covered) {
                out.add(c);
            }
        }
        return out;
    }

    /** nft's form of an interval element: a bare address for a host prefix, else network/len. */
    static String interval(Cidr c) {
        int bits = c.network().getAddress().length * 8;
        return c.prefixLength() == bits ? Addresses.ipString(c.network()) : c.toString();
    }

    static Cidr normalize(Cidr c) {
        byte[] b = c.network().getAddress();
        for (int i = 0; i < b.length; i++) {
            int keep = Math.max(0, Math.min(8, c.prefixLength() - i * 8));
            b[i] = (byte) (b[i] & (0xff << (8 - keep)));
        }
        try {
            return new Cidr(InetAddress.getByAddress(b), c.prefixLength());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String proto(Protocol p) {
        return switch (p) {
            case TCP -> "tcp";
            case UDP -> "udp";
            case SCTP -> "sctp";
        };
    }

    private static void add(Map<NftSet, Set<String>> out, NftSet set, String el) {
        out.computeIfAbsent(set, k -> new LinkedHashSet<>()).add(el);
    }
}
