package io.vipd.node;

import static io.vipd.node.ClusterObjects.ready;
import static io.vipd.node.ClusterObjects.service;
import static io.vipd.node.ClusterObjects.slice;
import static io.vipd.node.NodeCluster.CLIENT_IP;
import static io.vipd.node.NodeCluster.NODE_NAME;
import static io.vipd.node.NodeCluster.POD_A;
import static io.vipd.node.NodeCluster.POD_B;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.vipd.nodeport.NetNs;
import io.vipd.testing.Requires;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/**
 * Issue 19's scenario end to end: a client pod whose NetworkPolicy allows egress only to pods labelled
 * {@code tier: a} calls a ClusterIP backed by a {@code tier: a} pod (pod-a) and a {@code tier: b} pod (pod-b). A
 * FORWARD drop from the client to pod-b stands in for an iptables-based CNI: through kube-proxy's DNAT it would
 * apply, through vipd's local delivery it never sees the pod's flows, so what keeps the client off pod-b is vipd
 * refusing to pick it. Needs root.
 */
@Requires(
        root = true,
        epoll = true,
        commands = {"ip", "nft", "sysctl", "socat", "curl", "conntrack"})
class NetworkPolicyE2ETest {
    private static final String VIP = "198.19.0.30";
    private static final String FREE_IP = "198.18.132.2";
    private static final int CONNECTIONS = 24;

    private NodeCluster c;

    @Test
    void aPodsEgressPolicyDecidesWhichBackendsItsServiceConnectionsReach() throws Exception {
        try (NodeCluster cluster = new NodeCluster()) {
            c = cluster;
            c.build();
            NetNs free = c.addLocalPod("fr", "198.18.132", "f");
            c.node.run(
                    "nft",
                    "add table inet cni\n"
                            + "add chain inet cni forward { type filter hook forward priority 0; }\n"
                            + "add rule inet cni forward ip saddr " + CLIENT_IP + " ip daddr " + POD_B + " drop");
            createObjects();
            c.k8s.resource(onlyTierA()).create();
            c.startVipd();
            await(
                    "vipd restricts clients/client",
                    Duration.ofSeconds(90),
                    () -> services().contains("\"restrictedClients\":[\"clients/client\"]"));
            assertThat(services()).contains("\"policyExcludes\":[\"clients/client\"]");

            assertThat(answers(c.client, CONNECTIONS))
                    .as("the restricted client over %d connections", CONNECTIONS)
                    .containsOnly("pod-a");
            assertThat(answersUntilBoth(free)).as("a pod no policy selects").contains("pod-a", "pod-b");

            c.k8s.resource(onlyTierA()).delete();
            long deleted = System.nanoTime();
            List<String> after = answersUntilBoth(c.client);
            long tookMillis = (System.nanoTime() - deleted) / 1_000_000;
            System.out.println("both backends reachable again " + tookMillis + " ms after the policy was deleted");
            assertThat(after).as("once the policy is gone").contains("pod-a", "pod-b");

            c.k8s.resource(denyAll()).create();
            await(
                    "the client is refused",
                    Duration.ofSeconds(30),
                    () -> c.tcp(c.client, VIP, 80).startsWith("error"));
            assertThat(c.tcp(free, VIP, 80)).startsWith("pod-");
            String metrics = c.node.run("curl", "-s", "http://127.0.0.1:10249/metrics");
            assertThat(metrics).containsPattern("vipd_connections_refused_by_policy_total\\{[^}]*\\} [1-9]");
        } finally {
            if (c != null && c.vipd != null) {
                c.vipdCommand("cleanup");
            }
        }
    }

    private List<String> answers(NetNs from, int n) throws Exception {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(c.tcp(from, VIP, 80));
        }
        return out;
    }

    /** Connects (at most 60 times) until both pods answered; everything that answered. */
    private List<String> answersUntilBoth(NetNs from) throws Exception {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 60 && !(out.contains("pod-a") && out.contains("pod-b")); i++) {
            out.add(c.tcp(from, VIP, 80));
        }
        return out;
    }

    private String services() throws Exception {
        return c.node.runner()
                .run(List.of("curl", "-s", "--max-time", "3", "http://127.0.0.1:10249/services"), null)
                .stdout();
    }

    private void createObjects() {
        var k = c.k8s;
        k.nodes().resource(ClusterObjects.node(NODE_NAME)).create();
        k.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(ClusterObjects.NS)
                        .endMetadata()
                        .build())
                .create();
        k.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName("clients")
                        .endMetadata()
                        .build())
                .create();
        k.services().resource(service("tiers", VIP, "TCP", 80, 8080, b -> b)).create();
        k.resource(slice("tiers", "TCP", 8080, List.of(ready(POD_A, NODE_NAME), ready(POD_B, NODE_NAME))))
                .create();
        createPod(pod(ClusterObjects.NS, "pod-a", POD_A, Map.of("tier", "a")));
        createPod(pod(ClusterObjects.NS, "pod-b", POD_B, Map.of("tier", "b")));
        createPod(pod("clients", "client", CLIENT_IP, Map.of("app", "client")));
        createPod(pod("clients", "free", FREE_IP, Map.of("app", "free")));
    }

    /** The API server takes a status only through the status subresource. */
    private void createPod(Pod pod) {
        Pod created = c.k8s.pods().resource(pod).create();
        if (created.getStatus() == null || created.getStatus().getPodIPs().isEmpty()) {
            c.k8s.pods().resource(pod).updateStatus();
        }
    }

    private static Pod pod(String namespace, String name, String ip, Map<String, String> labels) {
        return new PodBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withNodeName(NODE_NAME)
                .addNewContainer()
                .withName("main")
                .withImage("socat")
                .addNewPort()
                .withName("http")
                .withContainerPort(8080)
                .endPort()
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .withPodIP(ip)
                .addNewPodIP()
                .withIp(ip)
                .endPodIP()
                .endStatus()
                .build();
    }

    private static NetworkPolicy onlyTierA() {
        return policy("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: only-tier-a, namespace: clients}
                spec:
                  podSelector: {matchLabels: {app: client}}
                  policyTypes: [Egress]
                  egress:
                  - to:
                    - namespaceSelector: {}
                      podSelector: {matchLabels: {tier: a}}
                    ports: [{port: http}]
                """);
    }

    private static NetworkPolicy denyAll() {
        return policy("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: deny-all, namespace: clients}
                spec:
                  podSelector: {matchLabels: {app: client}}
                  policyTypes: [Egress]
                """);
    }

    private static NetworkPolicy policy(String yaml) {
        return new KubernetesSerialization().unmarshal(yaml, NetworkPolicy.class);
    }

    private void await(String what, Duration timeout, Callable<Boolean> condition) throws Exception {
        c.await(what, timeout, true, condition);
    }
}
