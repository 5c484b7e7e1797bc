package io.vipd.node;

import static io.vipd.node.ClusterObjects.ready;
import static io.vipd.node.ClusterObjects.service;
import static io.vipd.node.ClusterObjects.slice;
import static io.vipd.node.NodeCluster.NODE_IP;
import static io.vipd.node.NodeCluster.NODE_NAME;
import static io.vipd.node.NodeCluster.POD_A;
import static io.vipd.node.NodeCluster.POD_B;
import static io.vipd.node.NodeCluster.POD_C;
import static io.vipd.node.NodeCluster.REMOTE_NODE_IP;
import static io.vipd.node.NodeCluster.REMOTE_NODE_NAME;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.vipd.testing.Requires;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Two {@code vipd node} processes, on node-a (the node namespace) and node-c (node2), against one API server,
 * with pods on both and an external client: what only shows with more than one node. Root only.
 */
@Requires(
        root = true,
        epoll = true,
        commands = {"ip", "nft", "sysctl", "socat", "curl", "conntrack"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwoNodesE2ETest {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(150);
    private NodeCluster c;

    @BeforeAll
    void setUp() throws Exception {
        c = new NodeCluster();
        try {
            c.build();
            c.joinRemoteNode();
            createObjects();
            c.startVipd();
            c.startRemoteVipd();
            await("vipd serves on node-a", () -> c.tcp(c.client, "198.19.1.11", 80));
            await("vipd serves on node-c", () -> c.tcp(c.podC, "198.19.1.11", 80));
        } catch (Throwable e) {
            tearDown();
            throw e;
        }
    }

    /** Deleting the namespaces removes both nodes' tables and routes with them. */
    @AfterAll
    void tearDown() throws Exception {
        if (c != null) {
            c.close();
            c = null;
        }
    }

    private void createObjects() {
        var k = c.k8s;
        k.nodes().resource(zoned(NODE_NAME, "zone-a")).create();
        k.nodes().resource(zoned("node-b", "zone-a")).create();
        k.nodes().resource(zoned(REMOTE_NODE_NAME, "zone-c")).create();
        // externalTrafficPolicy Local with its only endpoint on node-a; a LoadBalancer, since only those have
        // a healthCheckNodePort.
        k.services()
                .resource(service(
                        "local",
                        "198.19.1.10",
                        "TCP",
                        80,
                        8080,
                        b -> b.editSpec()
                                .withType("LoadBalancer")
                                .withExternalTrafficPolicy("Local")
                                .withHealthCheckNodePort(30181)
                                .editFirstPort()
                                .withNodePort(30180)
                                .endPort()
                                .endSpec()))
                .create();
        k.resource(slice("local", "TCP", 8080, List.of(ready(POD_A, NODE_NAME))))
                .create();
        // internalTrafficPolicy Local with one endpoint on each vipd node.
        k.services()
                .resource(service(
                        "itp",
                        "198.19.1.11",
                        "TCP",
                        80,
                        8080,
                        b -> b.editSpec().withInternalTrafficPolicy("Local").endSpec()))
                .create();
        k.resource(slice("itp", "TCP", 8080, List.of(ready(POD_A, NODE_NAME), ready(POD_C, REMOTE_NODE_NAME))))
                .create();
        // Zone hints: node-a and node-b are in zone-a, node-c in zone-c.
        k.services()
                .resource(service(
                        "zoned",
                        "198.19.1.12",
                        "TCP",
                        80,
                        8080,
                        b -> b.editSpec().withTrafficDistribution("PreferClose").endSpec()))
                .create();
        k.resource(slice(
                        "zoned",
                        "TCP",
                        8080,
                        List.of(
                                hinted(POD_A, NODE_NAME, "zone-a"),
                                hinted(POD_B, "node-b", "zone-a"),
                                hinted(POD_C, REMOTE_NODE_NAME, "zone-c"))))
                .create();
        // ClientIP affinity over three endpoints, reachable as a NodePort on both nodes.
        k.services()
                .resource(service(
                        "sticky",
                        "198.19.1.13",
                        "TCP",
                        80,
                        8080,
                        b -> b.editSpec()
                                .withType("NodePort")
                                .withSessionAffinity("ClientIP")
                                .editFirstPort()
                                .withNodePort(30182)
                                .endPort()
                                .endSpec()))
                .create();
        k.resource(slice(
                        "sticky",
                        "TCP",
                        8080,
                        List.of(ready(POD_A, NODE_NAME), ready(POD_B, "node-b"), ready(POD_C, REMOTE_NODE_NAME))))
                .create();
    }

    @Test
    void externalTrafficPolicyLocalIsServedOnlyWhereTheEndpointIs() throws Exception {
        for (int i = 0; i < 4; i++) {
            assertThat(c.tcp(c.ext, NODE_IP, 30180)).as(logs()).isEqualTo("pod-a");
        }
        // node-c has no local endpoint: it drops (the connect times out), it does not refuse or forward.
        assertThat(c.tcp(c.ext, REMOTE_NODE_IP, 30180, Duration.ofSeconds(2)))
                .as(logs())
                .contains("timed out");
        assertThat(c.http(c.ext, "http://" + NODE_IP + ":30181/"))
                .as(logs())
                .startsWith("200 ")
                .contains("\"localEndpoints\": 1");
        assertThat(c.http(c.ext, "http://" + REMOTE_NODE_IP + ":30181/"))
                .as(logs())
                .startsWith("503 ")
                .contains("\"namespace\": \"e2e\"")
                .contains("\"name\": \"local\"")
                .contains("\"localEndpoints\": 0")
                .contains("\"serviceProxyHealthy\": true");
    }

    @Test
    void internalTrafficPolicyLocalKeepsEachNodesPodsOnTheirNode() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(c.tcp(c.client, "198.19.1.11", 80)).as(logs()).isEqualTo("pod-a");
            assertThat(c.tcp(c.podC, "198.19.1.11", 80)).as(logs()).isEqualTo("pod-c");
        }
    }

    @Test
    void zoneHintsFollowEachNodesZoneLabel() throws Exception {
        Set<String> fromZoneA = new HashSet<>();
        for (int i = 0; i < 12; i++) {
            fromZoneA.add(c.tcp(c.client, "198.19.1.12", 80));
            assertThat(c.tcp(c.podC, "198.19.1.12", 80)).as(logs()).isEqualTo("pod-c");
        }
        assertThat(fromZoneA).as(logs()).isSubsetOf("pod-a", "pod-b").isNotEmpty();
    }

    @Test
    void clientIpAffinityPicksTheSameBackendThroughEitherNode() throws Exception {
        Set<String> answers = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            answers.add(c.tcp(c.ext, NODE_IP, 30182));
            answers.add(c.tcp(c.ext, REMOTE_NODE_IP, 30182));
        }
        assertThat(answers).as(logs()).hasSize(1);
        assertThat(answers.iterator().next()).isIn("pod-a", "pod-b", "pod-c");
        // And a second client (another address) is hashed independently but just as consistently.
        assertThat(c.tcp(c.client, NODE_IP, 30182)).isEqualTo(c.tcp(c.client, NODE_IP, 30182));
    }

    private static io.fabric8.kubernetes.api.model.Node zoned(String name, String zone) {
        return new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels("topology.kubernetes.io/zone", zone)
                .endMetadata()
                .build();
    }

    private static Endpoint hinted(String ip, String nodeName, String zone) {
        return new EndpointBuilder(ready(ip, nodeName))
                .withZone(zone)
                .withNewHints()
                .addNewForZone(zone)
                .endHints()
                .build();
    }

    private String logs() throws Exception {
        return "vipd logs:\n" + c.vipdLogs();
    }

    /** Waits until {@code exchange} answers from a pod; fails with its last answer and the logs. */
    private void await(String what, Callable<String> exchange) throws Exception {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            last = exchange.call();
            if (last.startsWith("pod-")) {
                return;
            }
            Thread.sleep(300);
        }
        throw new AssertionError("timed out waiting until " + what + " (last: " + last + ")\n" + logs()
                + "\ndirect: " + c.tcp(c.client, POD_C, 8080) + " / " + c.tcp(c.client, POD_A, 8080) + " / "
                + c.tcp(c.podC, POD_A, 8080)
                + "\nnode-a:\n" + c.node.run("nft", "list", "set", "inet", "vipd", "frontends-v4")
                + c.node.run("ss", "-lntup")
                + c.node.run("ip", "rule") + c.node.run("ip", "route", "show", "table", "all"));
    }
}
