package io.vipd.watcher;

import io.vipd.lb.Algorithm;
import io.vipd.lb.Cidr;
import io.vipd.lb.EdgeOptions;
import io.vipd.lb.Frontend;
import io.vipd.lb.FrontendType;
import io.vipd.lb.ProxyProtocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortName;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The service half of one service port, projected from a Service (kube-proxy's ServicePort). A value: two
 * projections of unchanged specs are equal, which is how no-op updates collapse. All address lists hold only
 * the families the Service has a clusterIP of (see {@link ServiceConversions}).
 *
 * @param name                   (namespace, service, port name, protocol)
 * @param port                   spec.ports[].port
 * @param clusterIPs             spec.clusterIPs (or spec.clusterIP), in spec order
 * @param nodePort               spec.ports[].nodePort, 0 when none
 * @param externalIPs            spec.externalIPs
 * @param loadBalancerIPs        status.loadBalancer.ingress[].ip whose ipMode is VIP or unset
 * @param sourceRanges           spec.loadBalancerSourceRanges, trimmed and parsed
 * @param affinityTimeoutSeconds ClientIP affinity timeout, 0 for sessionAffinity None
 * @param internalPolicyLocal    internalTrafficPolicy Local
 * @param externalPolicyLocal    externalTrafficPolicy Local
 * @param healthCheckNodePort    spec.healthCheckNodePort, 0 when none
 * @param publishNotReadyAddresses spec.publishNotReadyAddresses
 * @param algorithm              the vipd.io/algorithm annotation, Maglev by default
 * @param proxyProtocol          the vipd.io/proxy-protocol annotation
 * @param edge                   the connection handling {@link EdgeAnnotations} set (TCP ports only)
 */
public record ServicePortInfo(
        ServicePortName name,
        int port,
        List<InetAddress> clusterIPs,
        int nodePort,
        List<InetAddress> externalIPs,
        List<InetAddress> loadBalancerIPs,
        List<Cidr> sourceRanges,
        int affinityTimeoutSeconds,
        boolean internalPolicyLocal,
        boolean externalPolicyLocal,
        int healthCheckNodePort,
        boolean publishNotReadyAddresses,
        Algorithm algorithm,
        ProxyProtocol proxyProtocol,
        EdgeOptions edge) {
    public ServicePortInfo {
        Objects.requireNonNull(name, "name");
        clusterIPs = List.copyOf(clusterIPs);
        externalIPs = List.copyOf(externalIPs);
        loadBalancerIPs = List.copyOf(loadBalancerIPs);
        sourceRanges = List.copyOf(sourceRanges);
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(proxyProtocol, "proxyProtocol");
        Objects.requireNonNull(edge, "edge");
    }

    /** kube-proxy's ExternallyAccessible: a NodePort, a LoadBalancer VIP or an externalIP. */
    public boolean externallyAccessible() {
        return nodePort != 0 || !loadBalancerIPs.isEmpty() || !externalIPs.isEmpty();
    }

    /** kube-proxy's UsesClusterEndpoints. */
    public boolean usesClusterEndpoints() {
        return !internalPolicyLocal || externallyAccessible();
    }

    /** kube-proxy's UsesLocalEndpoints. */
    public boolean usesLocalEndpoints() {
        return internalPolicyLocal || (externalPolicyLocal && externallyAccessible());
    }

    /** Address lengths (4 or 16) of the clusterIPs: the families whose endpoints this port uses. */
    public Set<Integer> familyLengths() {
        Set<Integer> s = new java.util.TreeSet<>();
        for (InetAddress ip : clusterIPs) {
            s.add(ip.getAddress().length);
        }
        return s;
    }

    /** Every frontend: each clusterIP, the NodePort, each externalIP, each LoadBalancer VIP, in that order. */
    public List<ServiceFrontend> frontends() {
        List<ServiceFrontend> list = new ArrayList<>();
        for (InetAddress ip : clusterIPs) {
            list.add(new ServiceFrontend(new Frontend(ip, port, name.protocol()), FrontendType.CLUSTER_IP));
        }
        if (nodePort != 0) {
            list.add(new ServiceFrontend(Frontend.nodePort(nodePort, name.protocol()), FrontendType.NODE_PORT));
        }
        for (InetAddress ip : externalIPs) {
            list.add(new ServiceFrontend(new Frontend(ip, port, name.protocol()), FrontendType.EXTERNAL_IP));
        }
        for (InetAddress ip : loadBalancerIPs) {
            list.add(new ServiceFrontend(new Frontend(ip, port, name.protocol()), FrontendType.LOAD_BALANCER));
        }
        return list;
    }
}
