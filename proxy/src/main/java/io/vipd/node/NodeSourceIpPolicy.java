package io.vipd.node;

import io.vipd.lb.Cidr;
import io.vipd.lb.FrontendType;
import io.vipd.lb.ServicePortEntry;
import io.vipd.proxy.SourceIpPolicy;
import java.net.InetAddress;
import java.util.List;
import java.util.function.Predicate;

/**
 * {@code --source-ip=client}: the backend sees the client's address wherever its replies are sure to come
 * back through this node, and the node's address where kube-proxy masquerades:
 * <ul>
 *   <li>hairpin (the client is the chosen backend): node, as kube-proxy masquerades it;</li>
 *   <li>ClusterIP from a pod on this node (inside --cluster-cidr, not a node address): client;</li>
 *   <li>ClusterIP from the host or from outside the pod CIDRs: node (kube-proxy masquerades off-cluster
 *       traffic to a ClusterIP);</li>
 *   <li>NodePort, externalIP and LoadBalancer under externalTrafficPolicy Cluster: node (the backend may be on
 *       another node, whose replies would go to the client directly);</li>
 *   <li>under externalTrafficPolicy Local: client, since the backend is on this node; node when the flow was
 *       short-circuited to the cluster endpoints (it came from the host or a pod).</li>
 * </ul>
 * Immutable; allocation-free per call.
 */
public final class NodeSourceIpPolicy implements SourceIpPolicy {
    private final Predicate<InetAddress> nodeAddress;
    private final List<Cidr> clusterCidrs;

    /**
     * @param nodeAddress  whether an address belongs to this node itself (host-originated traffic)
     * @param clusterCidrs the pod CIDRs (--cluster-cidr); empty: no ClusterIP flow keeps the client address
     */
    public NodeSourceIpPolicy(Predicate<InetAddress> nodeAddress, List<Cidr> clusterCidrs) {
        this.nodeAddress = nodeAddress;
        this.clusterCidrs = List.copyOf(clusterCidrs);
    }

    @Override
    public boolean keepClientAddress(
            FrontendType type, ServicePortEntry entry, boolean shortCircuit, InetAddress client, InetAddress backend) {
        if (client.equals(backend)) {
            return false;
        }
        if (!type.external()) {
            return isLocalPod(client);
        }
        return entry.externalPolicyLocal() && !shortCircuit;
    }

    private boolean isLocalPod(InetAddress client) {
        if (nodeAddress.test(client)) {
            return false;
        }
        for (int i = 0; i < clusterCidrs.size(); i++) {
            if (clusterCidrs.get(i).contains(client)) {
                return true;
            }
        }
        return false;
    }
}
