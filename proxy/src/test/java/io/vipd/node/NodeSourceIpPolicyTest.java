package io.vipd.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.vipd.lb.Addresses;
import io.vipd.lb.Cidr;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import java.net.InetAddress;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NodeSourceIpPolicyTest {
    private static final InetAddress NODE = ip("198.18.64.1");
    private static final InetAddress LOCAL_POD = ip("198.18.131.2");
    private static final InetAddress OUTSIDE = ip("198.18.64.2");
    private static final InetAddress BACKEND = ip("198.18.129.2");
    private static final NodeSourceIpPolicy POLICY =
            new NodeSourceIpPolicy(Set.of(NODE)::contains, List.of(Cidr.parse("198.18.128.0/17")));

    @ParameterizedTest(name = "{0} eTP={1} shortCircuit={2} from {3} to {4}: client address kept = {5}")
    @CsvSource({
        // ClusterIP: pods on this node keep their address; the host and off-cluster clients are masqueraded.
        "CLUSTER_IP,    Cluster, false, pod,     backend, true",
        "CLUSTER_IP,    Local,   false, pod,     backend, true",
        "CLUSTER_IP,    Cluster, false, node,    backend, false",
        "CLUSTER_IP,    Cluster, false, outside, backend, false",
        // Hairpin: a pod reaching itself through its Service.
        "CLUSTER_IP,    Cluster, false, backend, backend, false",
        // External, Cluster policy: always the node's address.
        "NODE_PORT,     Cluster, false, outside, backend, false",
        "LOAD_BALANCER, Cluster, false, outside, backend, false",
        "EXTERNAL_IP,   Cluster, false, outside, backend, false",
        "NODE_PORT,     Cluster, true,  pod,     backend, false",
        // External, Local policy: the backend is on this node, so replies come back through it.
        "NODE_PORT,     Local,   false, outside, backend, true",
        "LOAD_BALANCER, Local,   false, outside, backend, true",
        "EXTERNAL_IP,   Local,   false, outside, backend, true",
        // Short-circuited to the cluster endpoints (from the host or a pod): the node's address.
        "LOAD_BALANCER, Local,   true,  pod,     backend, false",
        "NODE_PORT,     Local,   true,  node,    backend, false",
        "NODE_PORT,     Local,   false, backend, backend, false",
    })
    void decidesPerFlow(FrontendType type, String etp, boolean shortCircuit, String from, String to, boolean expected) {
        ServicePortEntry entry = ServicePortEntry.builder(ServicePortName.of("ns", "svc", "p", Protocol.TCP))
                .externalPolicyLocal(etp.equals("Local"))
                .build();
        assertThat(POLICY.keepClientAddress(type, entry, shortCircuit, address(from), address(to)))
                .isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"pod", "node", "outside"})
    void withoutClusterCidrsNoClusterIpFlowKeepsTheClientAddress(String from) {
        NodeSourceIpPolicy none = new NodeSourceIpPolicy(Set.of(NODE)::contains, List.of());
        ServicePortEntry entry = ServicePortEntry.builder(ServicePortName.of("ns", "svc", "p", Protocol.TCP))
                .build();
        assertThat(none.keepClientAddress(FrontendType.CLUSTER_IP, entry, false, address(from), BACKEND))
                .isFalse();
    }

    private static InetAddress address(String role) {
        switch (role) {
            case "pod":
                return LOCAL_POD;
            case "node":
                return NODE;
            case "outside":
                return OUTSIDE;
            case "backend":
                return BACKEND;
            default:
                throw new IllegalArgumentException(role);
        }
    }

    private static InetAddress ip(String s) {
        return Addresses.parseIp(s);
    }
}
