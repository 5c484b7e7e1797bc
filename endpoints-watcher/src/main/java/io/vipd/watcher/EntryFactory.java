package io.vipd.watcher;

import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.BackendState;
import io.vipd.lb.Cidr;
import io.vipd.lb.ServicePortEntry;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The join kube-proxy makes in syncProxyRules: a service port plus the endpoints of all its slices, through
 * CategorizeEndpoints, to one {@link ServicePortEntry}. Pure and static.
 *
 * <p>Dual stack: one entry serves both families of a dual-stack service. Its endpoints are those of the
 * families the service has a clusterIP of, categorized per family, so each frontend routes as kube-proxy's
 * proxier of its family would; see endpoints-watcher/README.md.
 */
final class EntryFactory {
    private EntryFactory() {}

    static PortInput input(
            ServicePortInfo info, Collection<EndpointSliceInfo> slices, NodeInfo node, FeatureGates gates) {
        Set<Integer> families = info.familyLengths();
        // Sorted by ip:port as it goes, so every key is computed once.
        Map<String, Backend> byKey = new TreeMap<>();
        String protocolName = info.name().port();
        for (EndpointSliceInfo slice : slices) {
            int port = slice.portFor(protocolName, info.name().protocol());
            if (port == 0) {
                continue;
            }
            for (EndpointInfo e : slice.endpoints()) {
                if (!families.contains(e.ip().getAddress().length)) {
                    continue;
                }
                Backend b = backend(e, port, node.name(), info.publishNotReadyAddresses());
                // kube-proxy's de-duplication by ip:port: a local copy wins over a remote one.
                byKey.merge(b.key(), b, (old, cur) -> !old.local() && cur.local() ? cur : old);
            }
        }
        // Keep node facts out of the input when no hint could use them, so a zone change rebuilds only the
        // service ports whose endpoints carry hints (whether an endpoint is local is in the Backend already).
        boolean zoneHints = false;
        boolean nodeHints = false;
        for (Backend b : byKey.values()) {
            zoneHints |= !b.zoneHints().isEmpty();
            nodeHints |= !b.nodeHints().isEmpty();
        }
        return new PortInput(
                info,
                List.copyOf(byKey.values()),
                nodeHints ? node.name() : "",
                zoneHints ? node.zone() : "",
                nodeHints && gates.preferSameTrafficDistribution(),
                sourceRanges(info, node));
    }

    private static List<Backend> ofFamily(List<Backend> endpoints, int addressLength) {
        List<Backend> out = new ArrayList<>();
        for (Backend e : endpoints) {
            if (e.ip().getAddress().length == addressLength) {
                out.add(e);
            }
        }
        return out;
    }

    static Backend backend(EndpointInfo e, int port, String nodeName, boolean publishNotReady) {
        boolean local = !nodeName.isEmpty() && nodeName.equals(e.nodeName());
        // publishNotReadyAddresses: the EndpointSlice controller then marks every endpoint ready; applying the
        // same rule here is a no-op for controller-made slices and right for hand-written ones.
        BackendState state = BackendState.of(e.ready() || publishNotReady, e.serving(), e.terminating());
        return new Backend(
                e.ip(),
                port,
                Backend.DEFAULT_WEIGHT,
                e.nodeName(),
                e.zone(),
                state,
                local,
                e.zoneHints(),
                e.nodeHints());
    }

    /**
     * loadBalancerSourceRanges; when one of this node's IPs is inside a range, the LB VIPs of that IP's family
     * are allowed too, as kube-proxy's proxier of that family does for node-to-VIP hairpin traffic whose
     * source is the VIP. Per family, so a family without ranges stays open to everyone.
     */
    static List<Cidr> sourceRanges(ServicePortInfo info, NodeInfo node) {
        List<Cidr> ranges = info.sourceRanges();
        if (ranges.isEmpty() || info.loadBalancerIPs().isEmpty()) {
            return ranges;
        }
        boolean v4Inside = false;
        boolean v6Inside = false;
        for (InetAddress ip : node.addresses()) {
            for (Cidr c : ranges) {
                if (c.contains(ip)) {
                    v4Inside |= c.isIpv4();
                    v6Inside |= !c.isIpv4();
                }
            }
        }
        List<Cidr> withVips = new ArrayList<>(ranges);
        for (InetAddress vip : info.loadBalancerIPs()) {
            if (vip.getAddress().length == 4 ? v4Inside : v6Inside) {
                withVips.add(new Cidr(vip, vip.getAddress().length * 8));
            }
        }
        return withVips.size() == ranges.size() ? ranges : List.copyOf(withVips);
    }

    static ServicePortEntry build(PortInput in, ServicePortEntry previous) {
        ServicePortInfo info = in.info();
        BackendSet all = BackendSet.of(in.endpoints());
        ServicePortEntry.Builder b = ServicePortEntry.builder(info.name());
        Set<Integer> families = info.familyLengths();
        if (families.isEmpty()) {
            b.categorized(null, null, false);
        }
        for (int length : families) {
            // kube-proxy runs one proxier per family: each categorizes only its own family's endpoints.
            List<Backend> ofFamily = families.size() == 1 ? in.endpoints() : ofFamily(in.endpoints(), length);
            BackendSet familySet = ofFamily.size() == all.size() ? all : BackendSet.of(ofFamily);
            Topology.Categorized c = Topology.categorize(
                    ofFamily,
                    info.usesClusterEndpoints(),
                    info.usesLocalEndpoints(),
                    in.nodeName(),
                    in.zone(),
                    in.preferSameNode());
            // The lists are subsets of the family's endpoints, so an equal size means the same set: share it.
            BackendSet cluster = c.cluster() == null
                    ? null
                    : c.cluster().size() == familySet.size() ? familySet : BackendSet.of(c.cluster());
            BackendSet local = c.local() == null
                    ? null
                    : c.local().size() == familySet.size() ? familySet : BackendSet.of(c.local());
            b.categorized(length == 16, cluster, local, c.hasAny());
        }
        b.frontends(info.frontends())
                .algorithm(info.algorithm())
                .affinityTimeoutSeconds(info.affinityTimeoutSeconds())
                .proxyProtocol(info.proxyProtocol())
                .edge(info.edge())
                .sourceRanges(in.sourceRanges())
                .healthCheckNodePort(info.healthCheckNodePort())
                .internalPolicyLocal(info.internalPolicyLocal())
                .externalPolicyLocal(info.externalPolicyLocal())
                .endpoints(all);
        return previous == null ? b.build() : b.build(previous);
    }
}
