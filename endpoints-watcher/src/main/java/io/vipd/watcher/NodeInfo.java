package io.vipd.watcher;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Taint;
import io.vipd.lb.Addresses;
import io.vipd.lb.Cidr;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the proxy needs from its own Node object. Immutable.
 *
 * @param name      the node name (kube-proxy's hostname), compared with EndpointSlice nodeName
 * @param labels    the node's labels; only {@value #ZONE_LABEL} is used, by topology
 * @param eligible  false while the node is being deleted (deletionTimestamp) or carries the
 *                  {@value #TO_BE_DELETED_TAINT} taint: /healthz then answers 503
 * @param addresses the node's InternalIP then ExternalIP addresses (loadBalancerSourceRanges hairpin; the first
 *                  of each family is the node's primary address)
 * @param podCidrs  the node's spec.podCIDRs (--detect-local-mode=NodeCIDR); unparsable ones are left out
 */
public record NodeInfo(
        String name, Map<String, String> labels, boolean eligible, List<InetAddress> addresses, List<Cidr> podCidrs) {
    public static final String ZONE_LABEL = "topology.kubernetes.io/zone";
    public static final String TO_BE_DELETED_TAINT = "ToBeDeletedByClusterAutoscaler";

    public NodeInfo {
        name = name == null ? "" : name;
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        addresses = addresses == null ? List.of() : List.copyOf(addresses);
        podCidrs = podCidrs == null ? List.of() : List.copyOf(podCidrs);
    }

    public NodeInfo(String name, Map<String, String> labels, boolean eligible, List<InetAddress> addresses) {
        this(name, labels, eligible, addresses, List.of());
    }

    public NodeInfo(String name, Map<String, String> labels, boolean eligible) {
        this(name, labels, eligible, List.of());
    }

    /** The node before its object has been seen: no labels, eligible (kube-proxy starts eligible). */
    public static NodeInfo unknown(String name) {
        return new NodeInfo(name, Map.of(), true, List.of());
    }

    /** The zone label, or "" when absent. */
    public String zone() {
        return labels.getOrDefault(ZONE_LABEL, "");
    }

    /** Reads a Node object; unparsable addresses are left out. */
    public static NodeInfo of(Node node) {
        String name = node.getMetadata() == null ? "" : node.getMetadata().getName();
        Map<String, String> labels =
                node.getMetadata() == null ? null : node.getMetadata().getLabels();
        boolean deleting = node.getMetadata() != null
                && node.getMetadata().getDeletionTimestamp() != null
                && !node.getMetadata().getDeletionTimestamp().isEmpty();
        boolean tainted = false;
        if (node.getSpec() != null && node.getSpec().getTaints() != null) {
            for (Taint t : node.getSpec().getTaints()) {
                tainted |= TO_BE_DELETED_TAINT.equals(t.getKey());
            }
        }
        // InternalIPs first: the first of each family is the node's primary address (kube-proxy's
        // GetNodeHostIPs), which --nodeport-addresses=primary selects.
        List<InetAddress> addresses = new ArrayList<>();
        if (node.getStatus() != null && node.getStatus().getAddresses() != null) {
            for (String type : new String[] {"InternalIP", "ExternalIP"}) {
                for (NodeAddress a : node.getStatus().getAddresses()) {
                    if (type.equals(a.getType()) && a.getAddress() != null) {
                        try {
                            addresses.add(Addresses.parseIp(a.getAddress()));
                        } catch (IllegalArgumentException e) {
                            // not an IP: nothing to match source ranges against
                        }
                    }
                }
            }
        }
        return new NodeInfo(name, labels, !deleting && !tainted, addresses, podCidrs(node));
    }

    /** spec.podCIDRs, else the older spec.podCIDR; values that are not CIDRs are left out. */
    public static List<Cidr> podCidrs(Node node) {
        List<String> values = new ArrayList<>();
        if (node.getSpec() != null) {
            if (node.getSpec().getPodCIDRs() != null
                    && !node.getSpec().getPodCIDRs().isEmpty()) {
                values.addAll(node.getSpec().getPodCIDRs());
            } else if (node.getSpec().getPodCIDR() != null) {
                values.add(node.getSpec().getPodCIDR());
            }
        }
        List<Cidr> out = new ArrayList<>();
        for (String v : values) {
            try {
                out.add(Cidr.parse(v));
            } catch (IllegalArgumentException e) {
                // not a CIDR: the Node's owner wrote nonsense; nothing to detect local traffic with
            }
        }
        return out;
    }
}
