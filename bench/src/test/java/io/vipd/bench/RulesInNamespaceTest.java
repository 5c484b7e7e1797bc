package io.vipd.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.vipd.testing.Requires;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Harness self-check (root only): the generated kube-proxy-shaped rules for one service × two endpoints load into a
 * fresh namespace, route a connection from the client through the VIP to an endpoint with the client masqueraded
 * (it is outside the cluster CIDR), and the generated endpoint change moves new connections to the new endpoint.
 */
@Requires(
        root = true,
        commands = {"ip", "iptables-restore", "nft", "socat", "sysctl"})
class RulesInNamespaceTest {
    private static final String VIP = "198.19.0.1";
    private static final String CLUSTER_CIDR = "198.18.2.0/24";

    @Test
    void iptablesRulesRouteAConnectionAndApplyAnEndpointChange() throws Exception {
        List<BenchService> set = ServiceSets.generate(1, "tcp", VIP, 80, List.of("198.18.2.10", "198.18.2.11"), 8080);
        try (Netns net = new Netns()) {
            serveAll(net);
            net.execWithInput(net.node, IptablesRules.baseJumps(), "iptables-restore", "--noflush");
            net.execWithInput(net.node, IptablesRules.fullSync(set, CLUSTER_CIDR), "iptables-restore", "--noflush");
            assertRoutedToAnEndpoint(net);

            BenchService after = set.get(0).withEndpoints(List.of(new BenchService.Endpoint("198.18.2.11", 8081)));
            net.execWithInput(
                    net.node,
                    IptablesRules.endpointChange(List.of(after), CLUSTER_CIDR, set.get(0), after),
                    "iptables-restore",
                    "--noflush");
            assertThat(net.connect(VIP, 80)).isEqualTo("ep 198.18.2.11 8081 from 198.18.2.1");
            assertThat(net.exec(net.node, "iptables-save", "-t", "nat"))
                    .doesNotContain(KubeProxyNames.iptablesEndpointChain(
                            set.get(0), set.get(0).endpoints().get(0)));
        }
    }

    @Test
    void theFlushingIptablesRestoreRoutesAConnectionAndTakesKubeProxysPartialSync() throws Exception {
        List<BenchService> set = ServiceSets.generate(1, "tcp", VIP, 80, List.of("198.18.2.10", "198.18.2.11"), 8080);
        try (Netns net = new Netns()) {
            serveAll(net);
            net.execWithInput(net.node, IptablesRules.fullRestore(set, CLUSTER_CIDR), "iptables-restore");
            assertRoutedToAnEndpoint(net);

            BenchService after = set.get(0).withEndpoints(List.of(new BenchService.Endpoint("198.18.2.11", 8081)));
            net.execWithInput(
                    net.node,
                    IptablesRules.endpointChange(List.of(after), CLUSTER_CIDR, set.get(0), after),
                    "iptables-restore",
                    "--noflush");
            assertThat(net.connect(VIP, 80)).isEqualTo("ep 198.18.2.11 8081 from 198.18.2.1");
        }
    }

    @Test
    void nftablesRulesRouteAConnectionAndApplyAnEndpointChange() throws Exception {
        List<BenchService> set = ServiceSets.generate(1, "tcp", VIP, 80, List.of("198.18.2.10", "198.18.2.11"), 8080);
        try (Netns net = new Netns()) {
            serveAll(net);
            net.execWithInput(net.node, NftablesRules.fullSync(set, "198.19.0.0/16", CLUSTER_CIDR), "nft", "-f", "-");
            assertRoutedToAnEndpoint(net);

            BenchService after = set.get(0).withEndpoints(List.of(new BenchService.Endpoint("198.18.2.11", 8081)));
            net.execWithInput(
                    net.node, NftablesRules.endpointChange(set.get(0), after, CLUSTER_CIDR), "nft", "-f", "-");
            assertThat(net.connect(VIP, 80)).isEqualTo("ep 198.18.2.11 8081 from 198.18.2.1");
        }
    }

    private static void serveAll(Netns net) throws Exception {
        net.serveTcp("198.18.2.10", 8080);
        net.serveTcp("198.18.2.11", 8080);
        net.serveTcp("198.18.2.11", 8081);
        // Wait until the pod's servers answer directly (no rules involved): socat listens a moment after it starts.
        assertThat(answerWithin(net, "198.18.2.10", 8080)).startsWith("ep 198.18.2.10 8080 from ");
        assertThat(answerWithin(net, "198.18.2.11", 8080)).startsWith("ep 198.18.2.11 8080 from ");
    }

    /** The server's answer, retried for up to 10 s while the connection is refused. */
    private static String answerWithin(Netns net, String ip, int port) throws Exception {
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        String answer = net.connect(ip, port);
        while (answer.contains("Connection refused") && System.nanoTime() < end) {
            Thread.sleep(50);
            answer = net.connect(ip, port);
        }
        return answer;
    }

    /** Through the VIP: some endpoint of the service answers, and it sees the node's address (masquerade). */
    private static void assertRoutedToAnEndpoint(Netns net) throws Exception {
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            answers.add(net.connect(VIP, 80));
        }
        assertThat(answers)
                .allSatisfy(a -> assertThat(a)
                        .isIn("ep 198.18.2.10 8080 from 198.18.2.1", "ep 198.18.2.11 8080 from 198.18.2.1"));
    }
}
