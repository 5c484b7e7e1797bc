package io.vipd.netpol;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.vipd.lb.Addresses;
import io.vipd.lb.Protocol;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the truth tables do not cover: per-backend named ports, host network, locality, bad input. */
class EgressSemanticsTest {
    private static final InetAddress A = Addresses.parseIp("198.18.1.1");
    private static final InetAddress B = Addresses.parseIp("198.18.1.2");
    private static final InetAddress CLIENT = Addresses.parseIp("198.18.1.9");

    private static PodInfo pod(
            String name, InetAddress ip, String node, boolean hostNetwork, PodInfo.ContainerPort... ports) {
        return new PodInfo("x", name, Map.of("pod", name), List.of(ip), node, hostNetwork, List.of(ports));
    }

    private static Policy namedPortPolicy() {
        return new Policy(
                "x",
                "to-http",
                LabelSelector.of(Map.of("pod", "client")),
                true,
                List.of(new EgressRule(List.of(), List.of(PortMatch.named(Protocol.TCP, "http")))));
    }

    @Test
    void aNamedPortMeansEachDestinationsOwnNumber() {
        PodInfo a = pod("a", A, "n1", false, new PodInfo.ContainerPort("http", Protocol.TCP, 8080));
        PodInfo b = pod("b", B, "n1", false, new PodInfo.ContainerPort("http", Protocol.TCP, 9090));
        PodInfo client = pod("client", CLIENT, "n1", false);
        PolicySnapshot s = PolicySnapshot.of(List.of(namedPortPolicy()), List.of(a, b, client), List.of());
        ClientEgress egress = s.allowanceFor(client);
        assertThat(egress.allows(A, Protocol.TCP, 8080)).isTrue();
        assertThat(egress.allows(A, Protocol.TCP, 9090)).isFalse();
        assertThat(egress.allows(B, Protocol.TCP, 9090)).isTrue();
        assertThat(egress.allows(B, Protocol.TCP, 8080)).isFalse();
        assertThat(egress.allows(B, Protocol.UDP, 9090)).isFalse();
        // An address that is no pod has no named ports.
        assertThat(egress.allows(Addresses.parseIp("203.0.113.1"), Protocol.TCP, 8080))
                .isFalse();
        assertThat(egress.allowedBy(A, Protocol.TCP, 8080)).isEqualTo("x/to-http egress[0]");
        assertThat(egress.allowedBy(A, Protocol.TCP, 1)).isNull();
    }

    @Test
    void hostNetworkPodsAreNeitherIsolatedNorSelected() {
        Policy denyAll = new Policy("x", "deny", LabelSelector.ALL, true, List.of());
        Policy toAll = new Policy(
                "x",
                "to-pods",
                LabelSelector.of(Map.of("pod", "client")),
                true,
                List.of(new EgressRule(List.of(Peer.pods(LabelSelector.ALL)), List.of())));
        PodInfo host = pod("host", A, "n1", true);
        PodInfo client = pod("client", CLIENT, "n1", false);
        PolicySnapshot s = PolicySnapshot.of(List.of(denyAll, toAll), List.of(host, client), List.of());
        assertThat(s.allowanceFor(host)).isNull();
        assertThat(s.allowanceFor(client).allows(A, Protocol.TCP, 80)).isFalse();
        assertThat(s.allowanceFor(client).allows(CLIENT, Protocol.TCP, 80)).isTrue();
    }

    @Test
    void theNodeFilterRestrictsOnlyIsolatedPodsOfItsNode() {
        Policy denyAll = new Policy("x", "deny", LabelSelector.ALL, true, List.of());
        PodInfo local = pod("local", CLIENT, "n1", false);
        PodInfo remote = pod("remote", A, "n2", false);
        PodInfo localHost = pod("host", B, "n1", true);
        NodeEgressFilter f = NodeEgressFilter.build(
                "n1", PolicySnapshot.of(List.of(denyAll), List.of(local, remote, localHost), List.of()));
        assertThat(f.allowanceFor(CLIENT)).isNotNull();
        assertThat(f.allowanceFor(CLIENT).allows(A, Protocol.TCP, 80)).isFalse();
        assertThat(f.allowanceFor(A)).as("another node's pod").isNull();
        assertThat(f.allowanceFor(B)).as("a host-network pod").isNull();
        assertThat(f.allowanceFor(Addresses.parseIp("203.0.113.1")))
                .as("an external client")
                .isNull();
        assertThat(f.restrictedClients()).extracting(c -> c.client().name()).containsExactly("local");
    }

    @Test
    void aNamespaceNotSeenYetStillCarriesItsNameLabel() {
        Policy toY = new Policy(
                "x",
                "to-y",
                LabelSelector.ALL,
                true,
                List.of(new EgressRule(
                        List.of(Peer.namespaces(LabelSelector.of(Map.of(NamespaceInfo.NAME_LABEL, "y")))), List.of())));
        PodInfo client = pod("client", CLIENT, "n1", false);
        PodInfo inY = new PodInfo("y", "a", Map.of(), List.of(A), "n1", false, List.of());
        PolicySnapshot s = PolicySnapshot.of(List.of(toY), List.of(client, inY), List.of());
        assertThat(s.allowanceFor(client).allows(A, Protocol.TCP, 80)).isTrue();
    }

    @Test
    void aBadRuleIsLeftOutAndNamedWhileThePolicyStillIsolates() {
        NetworkPolicy np = new KubernetesSerialization().unmarshal("""
                        apiVersion: networking.k8s.io/v1
                        kind: NetworkPolicy
                        metadata: {name: bad, namespace: x}
                        spec:
                          podSelector: {}
                          policyTypes: [Egress]
                          egress:
                          - to: [{ipBlock: {cidr: not-a-cidr}}]
                          - ports: [{port: http, endPort: 90}]
                          - ports: [{port: 53, protocol: UDP}]
                        """, NetworkPolicy.class);
        List<String> problems = new ArrayList<>();
        Policy p = PolicyConversions.policy(np, problems::add);
        assertThat(problems)
                .containsExactly(
                        "NetworkPolicy x/bad: spec.egress[0].to[0].ipBlock.cidr: \"not-a-cidr\" is not a CIDR (rule left out)",
                        "NetworkPolicy x/bad: spec.egress[1].ports[0].endPort: not allowed with the named port \"http\" (rule left out)");
        assertThat(p.egress()).isTrue();
        assertThat(p.rules()).hasSize(1);
        PodInfo client = pod("client", CLIENT, "n1", false);
        ClientEgress e =
                PolicySnapshot.of(List.of(p), List.of(client), List.of()).allowanceFor(client);
        assertThat(e.allows(A, Protocol.UDP, 53)).isTrue();
        assertThat(e.allows(A, Protocol.TCP, 80)).isFalse();
    }

    @Test
    void aBadSelectorOperatorIsNamed() {
        NetworkPolicy np = new KubernetesSerialization().unmarshal("""
                        apiVersion: networking.k8s.io/v1
                        kind: NetworkPolicy
                        metadata: {name: bad, namespace: x}
                        spec:
                          podSelector: {matchExpressions: [{key: a, operator: Near, values: [b]}]}
                        """, NetworkPolicy.class);
        List<String> problems = new ArrayList<>();
        assertThat(PolicyConversions.policy(np, problems::add)).isNull();
        assertThat(problems)
                .containsExactly(
                        "NetworkPolicy x/bad: spec.podSelector: matchExpressions[0].operator: unknown operator "
                                + "\"Near\" (want In, NotIn, Exists or DoesNotExist)");
    }

    @Test
    void ipv6IpBlocks() {
        IpBlock block =
                new IpBlock(io.vipd.lb.Cidr.parse("2001:2::/48"), List.of(io.vipd.lb.Cidr.parse("2001:2::5/128")));
        assertThat(block.contains(Addresses.parseIp("2001:2::4"))).isTrue();
        assertThat(block.contains(Addresses.parseIp("2001:2::5"))).isFalse();
        assertThat(block.contains(Addresses.parseIp("2001:3::4"))).isFalse();
        assertThat(block.contains(A)).isFalse();
        IpBlock all4 = new IpBlock(io.vipd.lb.Cidr.parse("0.0.0.0/0"), List.of());
        assertThat(all4.contains(A)).isTrue();
    }

    @Test
    void askingAboutABackendAllocatesNothing() {
        PodInfo a = pod("a", A, "n1", false, new PodInfo.ContainerPort("http", Protocol.TCP, 8080));
        PodInfo client = pod("client", CLIENT, "n1", false);
        Policy mixed = new Policy(
                "x",
                "mixed",
                LabelSelector.of(Map.of("pod", "client")),
                true,
                List.of(
                        new EgressRule(
                                List.of(Peer.pods(LabelSelector.of(Map.of("pod", "b")))),
                                List.of(PortMatch.range(Protocol.TCP, 80, 90))),
                        new EgressRule(
                                List.of(Peer.block(new IpBlock(
                                        io.vipd.lb.Cidr.parse("198.18.0.0/16"),
                                        List.of(io.vipd.lb.Cidr.parse("198.18.1.1/32"))))),
                                List.of(PortMatch.named(Protocol.TCP, "http")))));
        NodeEgressFilter filter =
                NodeEgressFilter.build("n1", PolicySnapshot.of(List.of(mixed), List.of(a, client), List.of()));
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        int allowed = 0;
        for (int round = 0; round < 2; round++) {
            long before = threads.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 100_000; i++) {
                io.vipd.lb.EgressAllowance e = filter.allowanceFor(CLIENT);
                allowed += e.allows(A, Protocol.TCP, 8080) ? 1 : 0;
                allowed += e.allows(B, Protocol.TCP, 85) ? 1 : 0;
            }
            long after = threads.getThreadAllocatedBytes(tid);
            if (round == 1) {
                // The measurement itself may allocate a few bytes; 200,000 calls allocating would be megabytes.
                assertThat(after - before).isLessThan(1024);
            }
        }
        // x/a is in the ipBlock's except list and no pod "b" exists: neither flow is allowed.
        assertThat(allowed).isZero();
    }
}
