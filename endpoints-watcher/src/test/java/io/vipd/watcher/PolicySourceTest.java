package io.vipd.watcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vipd.lb.Addresses;
import io.vipd.lb.EgressAllowance;
import io.vipd.lb.Protocol;
import io.vipd.netpol.NodeEgressFilter;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** NetworkPolicies, Pods and Namespaces from a (fake) API server to the node's egress filter. */
class PolicySourceTest {
    private static final InetAddress CLIENT = Addresses.parseIp("198.18.1.10");
    private static final InetAddress TIER_A = Addresses.parseIp("198.18.2.10");
    private static final InetAddress TIER_B = Addresses.parseIp("198.18.3.10");

    private FakeApiServer server;
    private KubernetesClient client;
    private PolicySource source;
    private final AtomicReference<NodeEgressFilter> filter = new AtomicReference<>();

    @BeforeEach
    void setUp() throws Exception {
        server = FakeApiServer.start();
        client = KubernetesSourceFixtures.fakeServerClient(server.port());
    }

    @AfterEach
    void tearDown() {
        if (source != null) {
            source.close();
        }
        client.close();
        server.close();
    }

    private static Pod pod(String ns, String name, String node, InetAddress ip, Map<String, String> labels) {
        return new PodBuilder()
                .withNewMetadata()
                .withNamespace(ns)
                .withName(name)
                .withLabels(labels)
                .withAnnotations(Map.of("big", "x".repeat(1000)))
                .endMetadata()
                .withNewSpec()
                .withNodeName(node)
                .addNewContainer()
                .withName("main")
                .withImage("server")
                .addNewPort()
                .withName("http")
                .withContainerPort(8080)
                .endPort()
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .addNewPodIP()
                .withIp(Addresses.ipString(ip))
                .endPodIP()
                .endStatus()
                .build();
    }

    private static NetworkPolicy onlyTierA() {
        return new KubernetesSerialization().unmarshal("""
                        apiVersion: networking.k8s.io/v1
                        kind: NetworkPolicy
                        metadata: {name: only-tier-a, namespace: client}
                        spec:
                          podSelector: {matchLabels: {app: client}}
                          policyTypes: [Egress]
                          egress:
                          - to:
                            - namespaceSelector: {matchLabels: {team: backends}}
                              podSelector: {matchLabels: {tier: a}}
                            ports: [{port: http}]
                        """, NetworkPolicy.class);
    }

    private EgressAllowance allowance() {
        NodeEgressFilter f = filter.get();
        return f == null ? null : f.allowanceFor(CLIENT);
    }

    @Test
    void policyPodAndNamespaceChangesReachTheFilter() {
        server.upsert(new NamespaceBuilder()
                .withNewMetadata()
                .withName("backends")
                .addToLabels("team", "backends")
                .endMetadata()
                .build());
        server.upsert(pod("client", "c", "node-1", CLIENT, Map.of("app", "client")));
        server.upsert(pod("backends", "a", "node-2", TIER_A, Map.of("tier", "a")));
        server.upsert(pod("backends", "b", "node-2", TIER_B, Map.of("tier", "b")));
        server.upsert(onlyTierA());
        source = new PolicySource(client, "node-1", new SimpleMeterRegistry(), Duration.ofMillis(10), filter::set);
        source.start();

        await().atMost(Duration.ofSeconds(20)).until(() -> allowance() != null);
        assertThat(allowance().allows(TIER_A, Protocol.TCP, 8080)).isTrue();
        assertThat(allowance().allows(TIER_A, Protocol.TCP, 80))
                .as("the named port is 8080")
                .isFalse();
        assertThat(allowance().allows(TIER_B, Protocol.TCP, 8080)).isFalse();
        assertThat(filter.get().allowanceFor(TIER_A))
                .as("pods of other nodes are not clients")
                .isNull();

        // b becomes tier a: allowed.
        server.upsert(pod("backends", "b", "node-2", TIER_B, Map.of("tier", "a")));
        await().atMost(Duration.ofSeconds(10)).until(() -> allowance().allows(TIER_B, Protocol.TCP, 8080));

        // The namespace loses its label: nothing matches.
        server.upsert(new NamespaceBuilder()
                .withNewMetadata()
                .withName("backends")
                .endMetadata()
                .build());
        await().atMost(Duration.ofSeconds(10)).until(() -> !allowance().allows(TIER_A, Protocol.TCP, 8080));

        // The policy goes: the client is unrestricted.
        server.delete(FakeApiServer.Kind.NETWORK_POLICIES, "client", "only-tier-a");
        await().atMost(Duration.ofSeconds(10)).until(() -> allowance() == null);
    }

    @Test
    void thePodCacheKeepsOnlyWhatPoliciesRead() {
        Pod full = pod("client", "c", "node-1", CLIENT, Map.of("app", "client"));
        Pod lean = PodProjection.of(full);
        assertThat(lean.getMetadata().getAnnotations()).isNullOrEmpty();
        assertThat(lean.getMetadata().getLabels()).isEqualTo(Map.of("app", "client"));
        assertThat(lean.getSpec().getContainers().get(0).getImage()).isNull();
        assertThat(lean.getSpec().getContainers().get(0).getPorts().get(0).getContainerPort())
                .isEqualTo(8080);
        assertThat(lean.getStatus().getPodIPs().get(0).getIp()).isEqualTo("198.18.1.10");
        KubernetesSerialization json = new KubernetesSerialization();
        assertThat(json.asJson(lean).length()).isLessThan(json.asJson(full).length() / 2);
    }

    @Test
    void nothingIsRestrictedBeforeEveryInitialList() {
        server.upsert(pod("client", "c", "node-1", CLIENT, Map.of("app", "client")));
        server.upsert(onlyTierA());
        server.holdLists(FakeApiServer.Kind.NAMESPACES);
        source = new PolicySource(client, "node-1", new SimpleMeterRegistry(), Duration.ofMillis(10), filter::set);
        source.start();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> server.requests().stream().anyMatch(r -> r.startsWith("GET /api/v1/pods")));
        assertThat(filter.get()).isNull();
        server.releaseLists();
        await().atMost(Duration.ofSeconds(20)).until(() -> allowance() != null);
        assertThat(allowance().allows(TIER_A, Protocol.TCP, 8080))
                .as("no namespace is labelled")
                .isFalse();
    }
}
