package io.vipd.node;

import static io.vipd.node.ClusterObjects.NS;
import static io.vipd.node.ClusterObjects.ready;
import static io.vipd.node.NodeCluster.NODE_IP;
import static io.vipd.node.NodeCluster.NODE_IP6;
import static io.vipd.node.NodeCluster.NODE_NAME;
import static io.vipd.node.NodeCluster.POD_A;
import static io.vipd.node.NodeCluster.POD_A6;
import static io.vipd.node.NodeCluster.POD_B;
import static io.vipd.node.NodeCluster.POD_B6;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.LoadBalancerIngressBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.vipd.testing.Requires;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code vipd node} end to end in a dual-stack cluster (IPv6 from 2001:2::/48 beside IPv4): IPv6 single-stack,
 * dual-stack and IPv6-primary services over TCP and UDP, reached as ClusterIP (from a pod), NodePort and
 * LoadBalancer IP (from outside), through the real process and real nftables. Needs root.
 */
@Requires(
        root = true,
        epoll = true,
        commands = {"ip", "nft", "sysctl", "socat", "curl", "conntrack"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeModeDualStackE2ETest {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final Set<String> PODS = Set.of("pod-a", "pod-b");
    private NodeCluster c;

    @BeforeAll
    void setUp() throws Exception {
        c = new NodeCluster();
        c.dualStack = true;
        try {
            c.build();
            createObjects();
            c.startVipd();
            await(
                    "vipd programs the IPv6 frontends",
                    () -> nftSet("frontends-v6").contains("2001:2:0:f::52 . udp . 53"));
            // The pods' UDP servers are JVMs that take a while to start on a busy machine; over IPv4, which
            // worked before IPv6 did, so that this waits for them and not for what the tests check.
            await("the pods' UDP servers answer", () -> PODS.contains(c.udp(c.client, "198.19.0.51", 53, 41099)));
        } catch (Throwable e) {
            tearDown();
            throw e;
        }
    }

    @AfterAll
    void tearDown() throws Exception {
        if (c != null) {
            try {
                c.vipdCommand("cleanup");
            } finally {
                c.close();
                c = null;
            }
        }
    }

    private void createObjects() {
        c.k8s.nodes().resource(ClusterObjects.node(NODE_NAME)).create();
        c.k8s.nodes().resource(ClusterObjects.node("node-b")).create();
        service("web6", "TCP", 80, 8080, 30180, List.of("IPv6"), List.of("2001:2:0:f::10"), "2001:2:0:f::1:10");
        service("dns6", "UDP", 53, 5353, 30189, List.of("IPv6"), List.of("2001:2:0:f::11"), "2001:2:0:f::1:11");
        service(
                "dual",
                "TCP",
                80,
                8080,
                30190,
                List.of("IPv4", "IPv6"),
                List.of("198.19.0.50", "2001:2:0:f::50"),
                "198.19.200.50",
                "2001:2:0:f::1:50");
        service(
                "dualudp",
                "UDP",
                53,
                5353,
                30191,
                List.of("IPv4", "IPv6"),
                List.of("198.19.0.51", "2001:2:0:f::51"),
                "198.19.200.51",
                "2001:2:0:f::1:51");
        // IPv6-primary dual-stack, as a cluster DNS service in an IPv6-primary cluster is.
        service(
                "dns6primary",
                "UDP",
                53,
                5353,
                30192,
                List.of("IPv6", "IPv4"),
                List.of("2001:2:0:f::52", "198.19.0.52"));
    }

    /** A NodePort (LoadBalancer when given ingress IPs) service with endpoints on pod-a and pod-b per family. */
    private void service(
            String name,
            String proto,
            int port,
            int target,
            int nodePort,
            List<String> families,
            List<String> clusterIps,
            String... ingress) {
        ServiceBuilder b = new ServiceBuilder()
                .withNewMetadata()
                .withNamespace(NS)
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .withType(ingress.length > 0 ? "LoadBalancer" : "NodePort")
                .withClusterIP(clusterIps.get(0))
                .withClusterIPs(clusterIps)
                .withIpFamilies(families)
                .withIpFamilyPolicy(families.size() > 1 ? "RequireDualStack" : "SingleStack")
                .addNewPort()
                .withName("p")
                .withProtocol(proto)
                .withPort(port)
                .withTargetPort(new IntOrString(target))
                .withNodePort(nodePort)
                .endPort()
                .endSpec();
        if (ingress.length > 0) {
            List<LoadBalancerIngress> ips = new ArrayList<>();
            for (String ip : ingress) {
                ips.add(new LoadBalancerIngressBuilder().withIp(ip).build());
            }
            b.withNewStatus()
                    .withNewLoadBalancer()
                    .withIngress(ips)
                    .endLoadBalancer()
                    .endStatus();
        }
        Service svc = b.build();
        Service created = c.k8s.services().resource(svc).create();
        if (svc.getStatus() != null
                && (created.getStatus() == null || created.getStatus().getLoadBalancer() == null)) {
            c.k8s.services().resource(svc).updateStatus();
        }
        for (String family : families) {
            boolean v6 = family.equals("IPv6");
            c.k8s.resource(slice(
                            name + "-" + family.toLowerCase(),
                            name,
                            family,
                            proto,
                            target,
                            v6 ? POD_A6 : POD_A,
                            v6 ? POD_B6 : POD_B))
                    .create();
        }
    }

    private static EndpointSlice slice(
            String sliceName, String service, String family, String proto, int port, String podA, String podB) {
        return new EndpointSliceBuilder()
                .withNewMetadata()
                .withNamespace(NS)
                .withName(sliceName)
                .addToLabels("kubernetes.io/service-name", service)
                .endMetadata()
                .withAddressType(family)
                .withEndpoints(ready(podA, NODE_NAME), ready(podB, "node-b"))
                .addNewPort()
                .withName("p")
                .withProtocol(proto)
                .withPort(port)
                .endPort()
                .build();
    }

    @Test
    @Order(1)
    void ipv6UdpClusterIpNodePortAndLoadBalancerIp() throws Exception {
        String first = c.udp(c.client, "[2001:2:0:f::11]", 53, 41000);
        assertThat(first).as(logs()).isIn(PODS);
        // The same client socket stays on its flow, and so on its backend.
        assertThat(c.udp(c.client, "[2001:2:0:f::11]", 53, 41000)).as(logs()).isEqualTo(first);
        assertThat(c.udp(c.ext, "[" + NODE_IP6 + "]", 30189, 41001)).as(logs()).isIn(PODS);
        assertThat(c.udp(c.ext, "[2001:2:0:f::1:11]", 53, 41002)).as(logs()).isIn(PODS);
        // From a pod to its own node's NodePort, and from the node itself (rerouted through lo by the output rule).
        assertThat(c.udp(c.client, "[" + NODE_IP6 + "]", 30189, 41003))
                .as(logs())
                .isIn(PODS);
        assertThat(c.udp(c.node, "[2001:2:0:f::11]", 53, 41004)).as(logs()).isIn(PODS);
    }

    @Test
    @Order(2)
    void ipv6UdpReachesBothBackends() throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 20 && seen.size() < 2; i++) {
            seen.add(c.udp(c.client, "[2001:2:0:f::11]", 53, 41100 + i));
        }
        assertThat(seen).as(logs()).isEqualTo(PODS);
    }

    @Test
    @Order(3)
    void ipv6TcpClusterIpNodePortAndLoadBalancerIp() throws Exception {
        assertThat(c.tcp(c.client, "[2001:2:0:f::10]", 80)).as(logs()).isIn(PODS);
        assertThat(c.tcp(c.ext, "[" + NODE_IP6 + "]", 30180)).as(logs()).isIn(PODS);
        assertThat(c.tcp(c.ext, "[2001:2:0:f::1:10]", 80)).as(logs()).isIn(PODS);
    }

    @Test
    @Order(4)
    void dualStackTcpOverBothFamilies() throws Exception {
        assertThat(c.tcp(c.client, "198.19.0.50", 80)).as(logs()).isIn(PODS);
        assertThat(c.tcp(c.client, "[2001:2:0:f::50]", 80)).as(logs()).isIn(PODS);
        assertThat(c.tcp(c.ext, NODE_IP, 30190)).as(logs()).isIn(PODS);
        assertThat(c.tcp(c.ext, "[" + NODE_IP6 + "]", 30190)).as(logs()).isIn(PODS);
        assertThat(c.tcp(c.ext, "198.19.200.50", 80)).as(logs()).isIn(PODS);
        assertThat(c.tcp(c.ext, "[2001:2:0:f::1:50]", 80)).as(logs()).isIn(PODS);
    }

    @Test
    @Order(5)
    void dualStackUdpOverBothFamilies() throws Exception {
        assertThat(c.udp(c.client, "198.19.0.51", 53, 41200)).as(logs()).isIn(PODS);
        assertThat(c.udp(c.client, "[2001:2:0:f::51]", 53, 41201)).as(logs()).isIn(PODS);
        assertThat(c.udp(c.ext, NODE_IP, 30191, 41202)).as(logs()).isIn(PODS);
        assertThat(c.udp(c.ext, "[" + NODE_IP6 + "]", 30191, 41203)).as(logs()).isIn(PODS);
        assertThat(c.udp(c.ext, "198.19.200.51", 53, 41204)).as(logs()).isIn(PODS);
        assertThat(c.udp(c.ext, "[2001:2:0:f::1:51]", 53, 41205)).as(logs()).isIn(PODS);
    }

    @Test
    @Order(6)
    void ipv6PrimaryDualStackUdp() throws Exception {
        assertThat(c.udp(c.client, "[2001:2:0:f::52]", 53, 41300)).as(logs()).isIn(PODS);
        assertThat(c.udp(c.client, "198.19.0.52", 53, 41301)).as(logs()).isIn(PODS);
        assertThat(c.udp(c.ext, "[" + NODE_IP6 + "]", 30192, 41302)).as(logs()).isIn(PODS);
    }

    /** The unroutable-datagram counter is exported with its reasons, and the forwarded traffic added none. */
    @Test
    @Order(7)
    void unroutableDatagramsAreExported() throws Exception {
        String metrics = c.node.run("curl", "-s", "--max-time", "3", "http://127.0.0.1:10249/metrics");
        assertThat(metrics)
                .contains("vipd_udp_datagrams_unroutable_total{reason=\"unknown_destination\"} 0.0")
                .contains("vipd_udp_datagrams_unroutable_total{reason=\"no_frontend\"} 0.0");
    }

    /** An IPv6 UDP frontend's own sockets follow the table: a deleted service's are closed. */
    @Test
    @Order(8)
    void ipv6UdpSocketsFollowTheTable() throws Exception {
        assertThat(boundUdp()).as(logs()).contains("[2001:2:0:f::11]:53", "[" + NODE_IP6 + "]:30189");
        c.k8s.services().inNamespace(NS).withName("dns6").delete();
        await("the deleted service's IPv6 UDP sockets close", () -> {
            String bound = boundUdp();
            return !bound.contains("[2001:2:0:f::11]:53") && !bound.contains("[" + NODE_IP6 + "]:30189");
        });
        // The others stay.
        assertThat(boundUdp()).contains("[2001:2:0:f::51]:53");
        assertThat(c.udp(c.client, "[2001:2:0:f::51]", 53, 41400)).as(logs()).isIn(PODS);
        assertThat(c.udp(c.ext, "[2001:2:0:f::1:11]", 53, 41401))
                .as("a deleted service's LoadBalancer IP answers nothing")
                .doesNotContain("pod-");
    }

    /** The node namespace's UDP sockets' local addresses, as ss prints them. */
    private String boundUdp() throws Exception {
        return c.node.run("ss", "-Huan");
    }

    private String nftSet(String name) throws Exception {
        return c.node.runner()
                .run(List.of("nft", "list", "set", "inet", "vipd", name), null)
                .stdout();
    }

    private String logs() throws Exception {
        return "vipd logs:\n" + c.vipdLogs();
    }

    private void await(String what, Callable<Boolean> condition) throws Exception {
        c.await(what, READY_TIMEOUT, true, condition);
    }
}
