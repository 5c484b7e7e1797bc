package io.vipd.node;

import static io.vipd.node.ClusterObjects.ready;
import static io.vipd.node.ClusterObjects.service;
import static io.vipd.node.ClusterObjects.slice;
import static io.vipd.node.NodeCluster.CLIENT_IP;
import static io.vipd.node.NodeCluster.NODE_NAME;
import static io.vipd.node.NodeCluster.POD_A;
import static io.vipd.node.NodeCluster.POD_B;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.vipd.admin.Json;
import io.vipd.nodeport.interception.CommandRunner;
import io.vipd.testing.Requires;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code vipd node} run the way a kube-proxy DaemonSet runs it, end to end in namespaces: kube-proxy's
 * arguments, its live view (/services, the status page, {@code vipd services}, /proxyMode, /configz), and the
 * flags that change which source address backends see (--masquerade-all, --detect-local-mode). Needs root.
 */
@Requires(
        root = true,
        epoll = true,
        commands = {"ip", "nft", "sysctl", "socat", "curl", "conntrack"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeKubeProxyCompatE2ETest {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final String VIP = "198.19.0.30";
    /** The addresses of the node on pod-a's and pod-b's links: what a backend sees from a masqueraded flow. */
    private static final List<String> NODE_SEEN = List.of("pod-a 198.18.129.1", "pod-b 198.18.130.1");

    private static final List<String> CLIENT_SEEN = List.of("pod-a " + CLIENT_IP, "pod-b " + CLIENT_IP);

    private NodeCluster c;

    @BeforeAll
    void setUp() throws Exception {
        c = new NodeCluster();
        try {
            c.build();
            c.k8s.nodes().resource(ClusterObjects.node(NODE_NAME)).create();
            c.k8s.services()
                    .resource(service("who", VIP, "TCP", 80, 8081, b -> b))
                    .create();
            c.k8s.resource(slice("who", "TCP", 8081, List.of(ready(POD_A, NODE_NAME), ready(POD_B, NODE_NAME))))
                    .create();
        } catch (Throwable e) {
            tearDown();
            throw e;
        }
    }

    @AfterAll
    void tearDown() throws Exception {
        if (c != null) {
            try {
                c.stopVipd();
                c.vipdCommand("cleanup");
            } finally {
                c.close();
                c = null;
            }
        }
    }

    @Test
    @Order(1)
    void aKubeProxyDaemonSetsArgumentsRunAndTheLiveViewAnswers() throws Exception {
        restart(
                "--v=4",
                "--logging-format=json",
                // kube-proxy's DaemonSets lower the score (-999), which needs CAP_SYS_RESOURCE; raising it does not.
                "--oom-score-adj=500",
                "--config-sync-period=1m",
                "--kube-api-qps=20",
                "--kube-api-burst=40",
                "--iptables-sync-period=30s",
                "--iptables-min-sync-period=1s",
                "--conntrack-max-per-core=0",
                "--conntrack-max-per-core=32768",
                "--conntrack-tcp-be-liberal",
                "--proxy-mode=nftables",
                "--profiling=false");
        assertThat(c.tcp(c.client, VIP, 80)).as(logs()).isIn(CLIENT_SEEN);

        assertThat(Files.readString(Path.of("/proc/" + c.vipd.pid() + "/oom_score_adj"))
                        .trim())
                .isEqualTo("500");

        assertThat(c.http(c.node, "http://127.0.0.1:10249/proxyMode")).isEqualTo("200 " + NodeRuntime.PROXY_MODE);
        String configz = c.http(c.node, "http://127.0.0.1:10249/configz");
        assertThat(configz).startsWith("200 ");
        Map<?, ?> config =
                (Map<?, ?>) Json.read(configz.substring(4)).get(EffectiveKubeProxyConfiguration.CONFIGZ_GROUP);
        assertThat(config.get("hostnameOverride")).isEqualTo(NODE_NAME);
        assertThat(((Number) config.get("oomScoreAdj")).intValue()).isEqualTo(500);
        assertThat(config.get("configSyncPeriod")).isEqualTo("1m0s");
        assertThat(config.get("mode")).isEqualTo("nftables");
        assertThat(((Map<?, ?>) config.get("logging")).get("format")).isEqualTo("json");

        assertThat(c.http(c.node, "http://127.0.0.1:10249/services"))
                .startsWith("200 ")
                .contains(VIP);
        assertThat(c.http(c.node, "http://127.0.0.1:10249/"))
                .startsWith("200 vipd node")
                .contains("node: " + NODE_NAME)
                .contains(VIP)
                .contains(POD_A);
        CommandRunner.Result services = c.vipdCommand("services");
        assertThat(services.exitCode()).as(services.stderr()).isZero();
        assertThat(services.stdout()).contains(VIP).contains(POD_A).contains(POD_B);

        // Every line is a JSON object with the four keys; the ignored flag, given twice, is warned about once.
        List<JsonNode> lines = new ArrayList<>();
        JsonMapper json = JsonMapper.builder().build();
        for (String line : Files.readAllLines(latestLog())) {
            if (!line.isBlank()) {
                lines.add(json.readTree(line));
            }
        }
        assertThat(lines)
                .isNotEmpty()
                .allSatisfy(l -> assertThat(l.has("ts") && l.has("level") && l.has("logger") && l.has("msg"))
                        .isTrue());
        assertThat(lines.stream()
                        .filter(l -> l.path("msg").asString().contains("kube-proxy flag does not apply"))
                        .map(l -> l.path("flag").asString())
                        .toList())
                .containsExactlyInAnyOrder(
                        "--iptables-min-sync-period",
                        "--conntrack-max-per-core",
                        "--conntrack-tcp-be-liberal",
                        "--profiling")
                .doesNotHaveDuplicates();
        // --v=4 is debug: the sync's debug lines are there.
        assertThat(lines).anyMatch(l -> l.path("level").asString().equals("debug"));
    }

    @Test
    @Order(2)
    void masqueradeAllGivesEveryConnectionTheNodeAddress() throws Exception {
        restart("--masquerade-all");
        for (int i = 0; i < 4; i++) {
            assertThat(c.tcp(c.client, VIP, 80)).as(logs()).isIn(NODE_SEEN);
        }
        assertThat(c.http(c.node, "http://127.0.0.1:10249/metrics")).contains("vipd_source_ip_preserved 0.0");
    }

    @Test
    @Order(3)
    void interfaceNamePrefixDecidesWhichPodsAreLocal() throws Exception {
        // Only pod-a's link: the client pod is not local, so its ClusterIP flows are masqueraded.
        restart("--detect-local-mode=InterfaceNamePrefix", "--pod-interface-name-prefix=na" + c.id);
        for (int i = 0; i < 4; i++) {
            assertThat(c.tcp(c.client, VIP, 80)).as(logs()).isIn(NODE_SEEN);
        }
        // The client's link: local, so the backend sees the client.
        restart("--detect-local-mode=InterfaceNamePrefix", "--pod-interface-name-prefix=nc" + c.id);
        for (int i = 0; i < 4; i++) {
            assertThat(c.tcp(c.client, VIP, 80)).as(logs()).isIn(CLIENT_SEEN);
        }
    }

    @Test
    @Order(4)
    void nodeCidrTakesTheNodesPodCidrsAndExitsWhenTheyChange() throws Exception {
        setPodCidrs("198.18.131.0/24");
        restart("--detect-local-mode=NodeCIDR", "--iptables-sync-period=1s");
        for (int i = 0; i < 4; i++) {
            assertThat(c.tcp(c.client, VIP, 80)).as(logs()).isIn(CLIENT_SEEN);
        }
        setPodCidrs("198.18.129.0/24");
        // kube-proxy exits when its Node's pod CIDRs change, so that it starts over with them; so does vipd.
        assertThat(c.vipd.waitFor(30, TimeUnit.SECONDS)).as(logs()).isTrue();
        assertThat(c.vipd.exitValue()).isNotZero();
        assertThat(Files.readString(latestLog())).contains("spec.podCIDRs changed");
        restart("--detect-local-mode=NodeCIDR");
        for (int i = 0; i < 4; i++) {
            assertThat(c.tcp(c.client, VIP, 80)).as(logs()).isIn(NODE_SEEN);
        }
    }

    private void setPodCidrs(String cidr) {
        c.k8s.nodes()
                .withName(NODE_NAME)
                .edit(n -> new NodeBuilder(n)
                        .editOrNewSpec()
                        .withPodCIDR(cidr)
                        .withPodCIDRs(cidr)
                        .endSpec()
                        .build());
    }

    /** Stops vipd if it runs and starts it with these extra flags, waiting until it forwards the service. */
    private void restart(String... flags) throws Exception {
        c.stopVipd();
        c.startVipd(flags);
        await(
                "vipd serves " + String.join(" ", flags),
                () -> c.tcp(c.client, VIP, 80).startsWith("pod-"));
    }

    private Path latestLog() throws Exception {
        try (var files = Files.list(c.work)) {
            // NodeCluster names each process's log vipd-<System.nanoTime()>.log.
            return files.filter(f -> f.getFileName().toString().matches("vipd--?\\d+\\.log"))
                    .max(Comparator.comparingLong(
                            f -> Long.parseLong(f.getFileName().toString().replaceAll("^vipd-|\\.log$", ""))))
                    .orElseThrow();
        }
    }

    private String logs() throws Exception {
        return "vipd logs:\n" + c.vipdLogs();
    }

    private void await(String what, Callable<Boolean> condition) throws Exception {
        c.await(what, READY_TIMEOUT, true, condition);
    }
}
