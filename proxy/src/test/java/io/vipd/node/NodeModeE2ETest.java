package io.vipd.node;

import static io.vipd.node.ClusterObjects.ready;
import static io.vipd.node.ClusterObjects.service;
import static io.vipd.node.ClusterObjects.slice;
import static io.vipd.node.NodeCluster.CLIENT_IP;
import static io.vipd.node.NodeCluster.EXT_IP;
import static io.vipd.node.NodeCluster.NODE_IP;
import static io.vipd.node.NodeCluster.NODE_LINK_IP;
import static io.vipd.node.NodeCluster.NODE_NAME;
import static io.vipd.node.NodeCluster.POD_A;
import static io.vipd.node.NodeCluster.POD_B;
import static io.vipd.node.NodeCluster.POD_C;
import static io.vipd.node.NodeCluster.REMOTE_NODE_NAME;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.LoadBalancerIngressBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.vipd.admin.BuildInfo;
import io.vipd.admin.HeadlessChromium;
import io.vipd.monitoring.MonitoringFiles;
import io.vipd.nodeport.interception.InterceptionConfig;
import io.vipd.testing.Requires;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code vipd node} end to end: the real process in a node namespace, watching the mock API server, intercepting
 * with real nftables, serving real clients (socat, curl) in pod, client and external namespaces. Needs root.
 */
@Requires(
        root = true,
        epoll = true,
        commands = {"ip", "nft", "sysctl", "socat", "curl", "conntrack"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeModeE2ETest {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private NodeCluster c;

    @BeforeAll
    void setUp() throws Exception {
        c = new NodeCluster();
        try {
            c.build();
            createObjects();
            c.startVipd();
            await(
                    "vipd programs the ClusterIP frontends",
                    READY_TIMEOUT,
                    () -> nftSet("frontends-v4").contains("198.19.0.10 . tcp . 80"));
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
        var k = c.k8s;
        k.nodes().resource(ClusterObjects.node(NODE_NAME)).create();
        k.nodes().resource(ClusterObjects.node("node-b")).create();
        k.nodes().resource(ClusterObjects.node(REMOTE_NODE_NAME)).create();
        both(
                "web",
                "198.19.0.10",
                "TCP",
                80,
                8080,
                b -> b.editSpec()
                        .withType("NodePort")
                        .editFirstPort()
                        .withNodePort(30080)
                        .endPort()
                        .endSpec());
        both(
                "dns",
                "198.19.0.11",
                "UDP",
                53,
                5353,
                b -> b.editSpec()
                        .withType("NodePort")
                        .editFirstPort()
                        .withNodePort(30089)
                        .endPort()
                        .endSpec());
        // No endpoints at all, reachable as a ClusterIP, NodePort, externalIP and LoadBalancer IP.
        createWithStatus(service(
                "empty",
                "198.19.0.12",
                "TCP",
                80,
                8080,
                b -> b.editSpec()
                        .withType("LoadBalancer")
                        .withExternalIPs("198.19.201.1")
                        .editFirstPort()
                        .withNodePort(30081)
                        .endPort()
                        .endSpec()
                        .withNewStatus()
                        .withNewLoadBalancer()
                        .withIngress(new LoadBalancerIngressBuilder()
                                .withIp("198.19.200.2")
                                .build())
                        .endLoadBalancer()
                        .endStatus()));
        k.services()
                .resource(service("emptyudp", "198.19.0.24", "UDP", 53, 5353, b -> b))
                .create();
        // internalTrafficPolicy Local with its only endpoint on node-b: dropped on this node.
        k.services()
                .resource(service(
                        "itpremote",
                        "198.19.0.25",
                        "TCP",
                        80,
                        8080,
                        b -> b.editSpec().withInternalTrafficPolicy("Local").endSpec()))
                .create();
        k.resource(slice("itpremote", "TCP", 8080, List.of(ready(POD_B, "node-b"))))
                .create();
        both(
                "local",
                "198.19.0.13",
                "TCP",
                80,
                8080,
                b -> b.editSpec()
                        .withType("LoadBalancer")
                        .withExternalTrafficPolicy("Local")
                        .withHealthCheckNodePort(30200)
                        .editFirstPort()
                        .withNodePort(30082)
                        .endPort()
                        .endSpec());
        both(
                "itp",
                "198.19.0.14",
                "TCP",
                80,
                8080,
                b -> b.editSpec().withInternalTrafficPolicy("Local").endSpec());
        both(
                "sticky",
                "198.19.0.15",
                "TCP",
                80,
                8080,
                b -> b.editSpec()
                        .withSessionAffinity("ClientIP")
                        .withNewSessionAffinityConfig()
                        .withNewClientIP()
                        .withTimeoutSeconds(300)
                        .endClientIP()
                        .endSessionAffinityConfig()
                        .endSpec());
        both(
                "fw",
                "198.19.0.16",
                "TCP",
                80,
                8080,
                b -> b.editSpec()
                        .withType("LoadBalancer")
                        .withLoadBalancerSourceRanges("198.18.131.0/24")
                        .editFirstPort()
                        .withNodePort(30084)
                        .endPort()
                        .endSpec()
                        .withNewStatus()
                        .withNewLoadBalancer()
                        .withIngress(new LoadBalancerIngressBuilder()
                                .withIp("198.19.200.1")
                                .build())
                        .endLoadBalancer()
                        .endStatus());
        createSourceIpObjects();
    }

    /** Services whose backends report the address they see (port 8081, UDP 5354) or the PROXY header (8082). */
    private void createSourceIpObjects() {
        both(
                "who",
                "198.19.0.17",
                "TCP",
                80,
                8081,
                b -> b.editSpec()
                        .withType("NodePort")
                        .editFirstPort()
                        .withNodePort(30085)
                        .endPort()
                        .endSpec());
        both("whoudp", "198.19.0.18", "UDP", 53, 5354, b -> b);
        both(
                "wholocal",
                "198.19.0.19",
                "TCP",
                80,
                8081,
                b -> b.editSpec()
                        .withType("NodePort")
                        .withExternalTrafficPolicy("Local")
                        .editFirstPort()
                        .withNodePort(30086)
                        .endPort()
                        .endSpec());
        both(
                "pp",
                "198.19.0.20",
                "TCP",
                80,
                8082,
                b -> b.editMetadata()
                        .addToAnnotations("vipd.io/proxy-protocol", "v2")
                        .endMetadata()
                        .editSpec()
                        .withType("NodePort")
                        .editFirstPort()
                        .withNodePort(30088)
                        .endPort()
                        .endSpec());
        c.k8s.services()
                .resource(service("hairpin", "198.19.0.21", "TCP", 80, 8081, b -> b))
                .create();
        c.k8s.resource(slice("hairpin", "TCP", 8081, List.of(ready(POD_A, NODE_NAME))))
                .create();
        // Only pod-c, behind the second node namespace.
        c.k8s.services()
                .resource(service(
                        "remote",
                        "198.19.0.22",
                        "TCP",
                        80,
                        8081,
                        b -> b.editSpec()
                                .withType("NodePort")
                                .editFirstPort()
                                .withNodePort(30087)
                                .endPort()
                                .endSpec()))
                .create();
        c.k8s.resource(slice("remote", "TCP", 8081, List.of(ready(POD_C, REMOTE_NODE_NAME))))
                .create();
        c.k8s.services()
                .resource(service("remoteudp", "198.19.0.23", "UDP", 53, 5354, b -> b))
                .create();
        c.k8s.resource(slice("remoteudp", "UDP", 5354, List.of(ready(POD_C, REMOTE_NODE_NAME))))
                .create();
    }

    /** A service with endpoints on pod-a (this node) and pod-b (node-b). */
    private void both(
            String name,
            String ip,
            String proto,
            int port,
            int target,
            java.util.function.UnaryOperator<io.fabric8.kubernetes.api.model.ServiceBuilder> edit) {
        createWithStatus(service(name, ip, proto, port, target, edit));
        c.k8s.resource(slice(name, proto, target, List.of(ready(POD_A, NODE_NAME), ready(POD_B, "node-b"))))
                .create();
    }

    /** Creates the service; the API server takes a LoadBalancer status only through the status subresource. */
    private void createWithStatus(Service svc) {
        Service created = c.k8s.services().resource(svc).create();
        if (svc.getStatus() != null
                && (created.getStatus() == null || created.getStatus().getLoadBalancer() == null)) {
            c.k8s.services().resource(svc).updateStatus();
        }
    }

    @Test
    @Order(1)
    void clusterIpTcpReachesBothPods() throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 20 && seen.size() < 2; i++) {
            seen.add(c.tcp(c.client, "198.19.0.10", 80));
        }
        assertThat(seen).as(logs()).containsExactlyInAnyOrder("pod-a", "pod-b");
    }

    @Test
    @Order(2)
    void clusterIpUdp() throws Exception {
        assertThat(c.udp(c.client, "198.19.0.11", 53, 40000)).as(logs()).isIn("pod-a", "pod-b");
    }

    @Test
    @Order(3)
    void nodePortFromOutside() throws Exception {
        assertThat(c.tcp(c.ext, NODE_IP, 30080)).as(logs()).isIn("pod-a", "pod-b");
        assertThat(c.udp(c.ext, NODE_IP, 30089, 40010)).as(logs()).isIn("pod-a", "pod-b");
    }

    @Test
    @Order(4)
    void hostOriginatedTrafficToAClusterIp() throws Exception {
        assertThat(c.tcp(c.node, "198.19.0.10", 80)).as(logs()).isIn("pod-a", "pod-b");
    }

    @Test
    @Order(5)
    void noEndpointsRejectsOnEveryFrontendKind() throws Exception {
        assertThat(c.tcp(c.client, "198.19.0.12", 80)).as(logs()).contains("Connection refused");
        assertThat(c.tcp(c.ext, NODE_IP, 30081)).as(logs()).contains("Connection refused");
        assertThat(c.tcp(c.ext, "198.19.201.1", 80)).as(logs()).contains("Connection refused");
        assertThat(c.tcp(c.ext, "198.19.200.2", 80)).as(logs()).contains("Connection refused");
        // UDP: ICMP port unreachable, which the client's connected socket reports as a refusal.
        assertThat(c.udp(c.client, "198.19.0.24", 53, 40011)).as(logs()).contains("Connection refused");
    }

    @Test
    @Order(6)
    void internalTrafficPolicyLocalUsesOnlyLocalEndpoints() throws Exception {
        for (int i = 0; i < 8; i++) {
            assertThat(c.tcp(c.client, "198.19.0.14", 80)).as(logs()).isEqualTo("pod-a");
        }
        // Its only endpoint is on another node: dropped, so the connect times out (not refused).
        assertThat(c.tcp(c.client, "198.19.0.25", 80, Duration.ofSeconds(2)))
                .as(logs())
                .contains("error")
                .doesNotContain("refused");
    }

    @Test
    @Order(7)
    void sessionAffinityKeepsTheClientOnOneEndpoint() throws Exception {
        String first = c.tcp(c.client, "198.19.0.15", 80);
        assertThat(first).as(logs()).isIn("pod-a", "pod-b");
        for (int i = 0; i < 8; i++) {
            assertThat(c.tcp(c.client, "198.19.0.15", 80)).isEqualTo(first);
        }
    }

    @Test
    @Order(8)
    void sourceRangesApplyToLoadBalancerIps() throws Exception {
        assertThat(c.tcp(c.client, "198.19.200.1", 80)).as(logs()).isIn("pod-a", "pod-b");
        // Outside the ranges: dropped, so the connect times out (not refused).
        assertThat(c.tcp(c.ext, "198.19.200.1", 80, Duration.ofSeconds(2)))
                .contains("error")
                .doesNotContain("refused");
        // NodePorts are not subject to loadBalancerSourceRanges (kube-proxy-semantics.md §1.3).
        assertThat(c.tcp(c.ext, NODE_IP, 30084)).isIn("pod-a", "pod-b");
    }

    @Test
    @Order(9)
    void externalTrafficPolicyLocalAndHealthCheck() throws Exception {
        for (int i = 0; i < 6; i++) {
            assertThat(c.tcp(c.ext, NODE_IP, 30082)).as(logs()).isEqualTo("pod-a");
        }
        assertThat(c.http(c.ext, "http://" + NODE_IP + ":30200/anything"))
                .startsWith("200 ")
                .contains("\"localEndpoints\": 1")
                .contains("\"name\": \"local\"");
        setEndpoints("local", "TCP", 8080, List.of(ready(POD_B, "node-b")));
        await(
                "health check turns 503",
                Duration.ofSeconds(10),
                () -> c.http(c.ext, "http://" + NODE_IP + ":30200/").startsWith("503 "));
        // External traffic with endpoints only elsewhere is dropped: the connect times out.
        await(
                "NodePort drops",
                Duration.ofSeconds(10),
                () -> c.tcp(c.ext, NODE_IP, 30082, Duration.ofSeconds(2)).contains("timed out"));
        // Pod-originated traffic is short-circuited to all endpoints, as kube-proxy does.
        assertThat(c.tcp(c.client, NODE_IP, 30082)).isEqualTo("pod-b");
    }

    @Test
    @Order(10)
    void udpFlowMovesWithinASecondWhenItsEndpointGoes() throws Exception {
        // One client socket, as a resolver keeps one: its flow must move when its endpoint goes, not stay
        // pinned until it idles out (kube-proxy-semantics.md §1.14).
        Process client = c.udpClient(c.client, "198.19.0.11", 53);
        BlockingQueue<String> replies = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    replies.add(line.trim());
                }
            } catch (IOException e) {
                replies.add("error: " + e);
            }
        });
        reader.setDaemon(true);
        reader.start();
        OutputStream requests = client.getOutputStream();
        try {
            String first = ask(requests, replies, Duration.ofSeconds(5));
            assertThat(first).as(logs()).isIn("pod-a", "pod-b");
            assertThat(ask(requests, replies, Duration.ofSeconds(5))).isEqualTo(first);
            String other = first.equals("pod-a") ? "pod-b" : "pod-a";
            setEndpoints(
                    "dns",
                    "UDP",
                    5353,
                    List.of(other.equals("pod-a") ? ready(POD_A, NODE_NAME) : ready(POD_B, "node-b")));
            long start = System.nanoTime();
            String reply = "";
            // Bounded: at most 100 requests, 50 ms apart.
            for (int i = 0; i < 100 && !reply.equals(other); i++) {
                String r = ask(requests, replies, Duration.ofMillis(50));
                reply = r == null ? "" : r;
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(reply).as(logs()).isEqualTo(other);
            assertThat(took)
                    .as("the client's flow reached the remaining endpoint after %s", took)
                    .isLessThanOrEqualTo(Duration.ofSeconds(1));
        } finally {
            client.destroy();
        }
    }

    @Test
    @Order(11)
    void clusterIpFromAPodKeepsThePodAddress() throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 20 && seen.size() < 2; i++) {
            String reply = c.tcp(c.client, "198.19.0.17", 80);
            assertThat(reply).as(logs()).isIn("pod-a " + CLIENT_IP, "pod-b " + CLIENT_IP);
            seen.add(reply);
        }
        assertThat(seen).hasSize(2);
        assertThat(c.udp(c.client, "198.19.0.18", 53, 40001))
                .as(logs())
                .isIn("pod-a " + CLIENT_IP, "pod-b " + CLIENT_IP);
        assertThat(c.http(c.node, "http://127.0.0.1:10249/metrics"))
                .contains("vipd_source_ip_preserved 1.0")
                .contains("vipd_build_info{revision=\"" + BuildInfo.current().revision() + "\",version=\""
                        + BuildInfo.current().version() + "\"} 1");
    }

    @Test
    @Order(12)
    void hostOriginatedAndClusterPolicyTrafficUsesTheNodeAddress() throws Exception {
        // The node's address on the backend's link: the source a normal connect from the node gets.
        List<String> nodeSeen = List.of("pod-a 198.18.129.1", "pod-b 198.18.130.1");
        assertThat(c.tcp(c.node, "198.19.0.17", 80)).as(logs()).isIn(nodeSeen);
        for (int i = 0; i < 4; i++) {
            assertThat(c.tcp(c.ext, NODE_IP, 30085)).as(logs()).isIn(nodeSeen);
        }
        // NodePort with Cluster policy from a pod: masqueraded too, as kube-proxy does.
        assertThat(c.tcp(c.client, NODE_IP, 30085)).as(logs()).isIn(nodeSeen);
    }

    @Test
    @Order(13)
    void externalTrafficPolicyLocalKeepsTheExternalClientAddress() throws Exception {
        for (int i = 0; i < 4; i++) {
            assertThat(c.tcp(c.ext, NODE_IP, 30086)).as(logs()).isEqualTo("pod-a " + EXT_IP);
        }
        // Short-circuited from a pod to every endpoint: the node's address.
        assertThat(c.tcp(c.client, NODE_IP, 30086)).as(logs()).isIn("pod-a 198.18.129.1", "pod-b 198.18.130.1");
    }

    @Test
    @Order(14)
    void hairpinUsesTheNodeAddress() throws Exception {
        // pod-a reaching itself through its Service: with its own address as source its reply would stay inside.
        assertThat(c.tcp(c.podA, "198.19.0.21", 80)).as(logs()).isEqualTo("pod-a 198.18.129.1");
    }

    @Test
    @Order(15)
    void proxyProtocolV2CarriesTheClientAddress() throws Exception {
        String hex = c.tcp(c.client, "198.19.0.20", 80).replaceAll("\\s+", "");
        // Signature, v2 PROXY, TCP over IPv4, 12 address bytes: 198.18.131.2 -> 198.19.0.20, port 80.
        assertThat(hex)
                .as(logs())
                .startsWith("0d0a0d0a000d0a515549540a" + "21" + "11" + "000c" + "c6128302" + "c6130014")
                .endsWith("0050");
        // Through a NodePort with Cluster policy the backend's peer is the node; the header still names the
        // external client, and the node address and NodePort it reached: 198.18.64.2 -> 198.18.64.1, port 30088.
        String fromOutside = c.tcp(c.ext, NODE_IP, 30088).replaceAll("\\s+", "");
        assertThat(fromOutside)
                .as(logs())
                .startsWith("0d0a0d0a000d0a515549540a" + "21" + "11" + "000c" + "c6124002" + "c6124001")
                .endsWith("7588");
    }

    @Test
    @Order(16)
    void clusterIpToABackendBehindAnotherNodeKeepsThePodAddress() throws Exception {
        // pod-c answers the client pod through node2, which routes this node's pod CIDR back here, where
        // vipd's transparent socket takes the reply.
        for (int i = 0; i < 3; i++) {
            assertThat(c.tcp(c.client, "198.19.0.22", 80)).as(logs()).isEqualTo("pod-c " + CLIENT_IP);
        }
        assertThat(c.udp(c.client, "198.19.0.23", 53, 40003)).as(logs()).isEqualTo("pod-c " + CLIENT_IP);
    }

    @Test
    @Order(17)
    void nodePortToABackendBehindAnotherNodeUsesTheNodeAddress() throws Exception {
        // node2 has no route to the external client: had vipd kept its address, pod-c's reply would be lost.
        for (int i = 0; i < 3; i++) {
            assertThat(c.tcp(c.ext, NODE_IP, 30087)).as(logs()).isEqualTo("pod-c " + NODE_LINK_IP);
        }
        assertThat(c.tcp(c.node, "198.19.0.22", 80)).as(logs()).isEqualTo("pod-c " + NODE_LINK_IP);
    }

    @Test
    @Order(18)
    void theStatusPageListsTheNodesServicesForBrowsersAndCurl() throws Exception {
        String url = "http://127.0.0.1:10249/";
        String html = c.node.runner()
                .run(List.of("curl", "-s", "--max-time", "3", "-H", "Accept: text/html", url), null)
                .stdout();
        assertThat(html)
                .as(logs())
                .startsWith("<!DOCTYPE html>")
                .contains("<h1>vipd node</h1>")
                .contains("node <code>" + NODE_NAME + "</code>, synced with the API server")
                .contains("data-service=\"e2e/web:p/TCP\"")
                .contains("<code class=\"frontend\">198.19.0.10:80/TCP</code> (ClusterIP)")
                .contains("data-service=\"e2e/empty:p/TCP\"")
                .contains("<span class=\"badge warn\">no ready backend</span>");
        assertThat(c.http(c.node, url)).as(logs()).startsWith("200 vipd node\n\nnode: " + NODE_NAME);
        if (HeadlessChromium.binary() == null) {
            System.out.println("chromium not installed: the node status page is checked with curl only");
            return;
        }
        HeadlessChromium chromium =
                new HeadlessChromium(c.work.resolve("chromium-profile"), List.of("ip", "netns", "exec", c.node.name()));
        assertThat(chromium.dumpDom(url)).as(logs()).contains("data-service=\"e2e/web:p/TCP\"");
        chromium.screenshot(url, Path.of("target", "status-page", "node-status.png"), 1200, 1600);
    }

    /** Sends one request on the long-lived socket and waits for a reply; null when none came in time. */
    private static String ask(OutputStream requests, BlockingQueue<String> replies, Duration wait)
            throws IOException, InterruptedException {
        requests.write("x\n".getBytes(StandardCharsets.UTF_8));
        requests.flush();
        return replies.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Test
    @Order(18)
    void nodePortsFollowAnAddressAddedAndRemovedWhileRunning() throws Exception {
        String nic = "ne" + c.id;
        String added = "198.18.64.5";
        assertThat(nftSet("nodeport-ips-v4")).doesNotContain(added);
        c.node.run("ip", "addr", "add", added + "/24", "dev", nic);
        try {
            await(
                    "the new node address serves NodePorts",
                    Duration.ofSeconds(20),
                    () -> c.tcp(c.ext, added, 30080).startsWith("pod-"));
            assertThat(nftSet("nodeport-ips-v4")).contains(added).contains(NODE_IP);
        } finally {
            c.node.run("ip", "addr", "del", added + "/24", "dev", nic);
        }
        await(
                "the removed address leaves the NodePort addresses",
                Duration.ofSeconds(20),
                () -> !nftSet("nodeport-ips-v4").contains(added));
        assertThat(c.tcp(c.ext, NODE_IP, 30080)).as(logs()).isIn("pod-a", "pod-b");
    }

    @Test
    @Order(19)
    void exportsWhatTheDashboardsAndRulesRead() throws Exception {
        assertThat(c.tcp(c.client, "198.19.0.10", 80)).as(logs()).startsWith("pod-");
        String scrape = c.http(c.node, "http://127.0.0.1:10249/metrics");
        Set<String> exported = MonitoringFiles.exportedNames(scrape);
        // deploy/monitoring's dashboard and rules: everything but the edge-only names.
        assertThat(MonitoringFiles.missing(
                        MonitoringFiles.referencedNames(), exported, "vipd_", "kubeproxy_", "rest_client_", "process_"))
                .isEqualTo(MonitoringFiles.EDGE_ONLY);
        // kubernetes-mixin's "Kubernetes / Proxy" dashboard, with the labels its queries select and group by.
        assertThat(exported).containsAll(MonitoringFiles.KUBE_PROXY_DASHBOARD);
        assertThat(scrape)
                .containsPattern("rest_client_requests_total\\{code=\"2\\d\\d\",host=\"[^\"]+\",method=\"GET\"}")
                .containsPattern("rest_client_request_duration_seconds_bucket\\{host=\"[^\"]+\",verb=\"GET\",le=");
    }

    @Test
    @Order(20)
    void restartAdoptsTheTableWithoutDuplicates() throws Exception {
        String rulesBefore = c.node.run("nft", "list", "chain", "inet", "vipd", "prerouting");
        c.stopVipd();
        // The table outlives the process, so a restart does not open a gap in interception.
        assertThat(nftSet("frontends-v4")).contains("198.19.0.10 . tcp . 80");
        c.startVipd();
        await(
                "vipd serves again",
                READY_TIMEOUT,
                () -> c.tcp(c.client, "198.19.0.10", 80).startsWith("pod-"));
        assertThat(c.node.run("nft", "list", "chain", "inet", "vipd", "prerouting"))
                .isEqualTo(rulesBefore);
        assertThat(c.node.run("ip", "-4", "rule", "list").split("lookup 5650", -1))
                .hasSize(2);
    }

    @Test
    @Order(25)
    void sourceIpNodeAlwaysUsesTheNodeAddress() throws Exception {
        c.stopVipd();
        c.startVipd("--source-ip=node");
        // Once synced, the table is replaced without the socket rule transparent egress needs.
        await(
                "vipd drops the socket rule",
                READY_TIMEOUT,
                () -> !c.node.run("nft", "list", "chain", "inet", "vipd", "prerouting")
                        .contains("socket transparent"));
        await(
                "vipd serves again",
                READY_TIMEOUT,
                () -> c.tcp(c.client, "198.19.0.17", 80).startsWith("pod-"));
        assertThat(c.tcp(c.client, "198.19.0.17", 80)).as(logs()).isIn("pod-a 198.18.129.1", "pod-b 198.18.130.1");
        assertThat(c.tcp(c.ext, NODE_IP, 30086)).as(logs()).isEqualTo("pod-a 198.18.129.1");
        assertThat(c.udp(c.client, "198.19.0.18", 53, 40002))
                .as(logs())
                .isIn("pod-a 198.18.129.1", "pod-b 198.18.130.1");
        assertThat(c.http(c.node, "http://127.0.0.1:10249/metrics")).contains("vipd_source_ip_preserved 0.0");
    }

    @Test
    @Order(30)
    void cleanupLeavesNothingBehind() throws Exception {
        c.stopVipd();
        assertThat(c.vipdCommand("cleanup").exitCode()).isZero();
        assertThat(c.vipdCommand("node", "--cleanup").exitCode()).isZero();
        String mark = "0x" + Integer.toHexString(InterceptionConfig.DEFAULT_MARK);
        String table = Integer.toString(InterceptionConfig.DEFAULT_ROUTE_TABLE);
        assertThat(c.node.run("nft", "list", "tables")).doesNotContain("inet vipd");
        assertThat(c.node.run("nft", "list", "ruleset")).doesNotContain("vipd");
        for (String family : List.of("-4", "-6")) {
            assertThat(c.node.run("ip", family, "rule", "list"))
                    .doesNotContain(table)
                    .doesNotContain(mark);
            assertThat(c.node.run("ip", family, "route", "show", "table", table))
                    .isBlank();
            assertThat(c.node.run("ip", family, "route", "show", "table", "all"))
                    .doesNotContain("table " + table);
        }
        // vipd translates no address, so conntrack holds only ordinary entries for the flows it relayed; they
        // expire by themselves once closed. None may still be established: that would be a connection of vipd's
        // (or a process of the tests) outliving the stop.
        assertThat(c.node.run("conntrack", "-L").lines())
                .as("conntrack saw the tests' traffic")
                .isNotEmpty();
        assertThat(c.node.run("conntrack", "-L", "-p", "tcp", "--state", "ESTABLISHED"))
                .isBlank();
        assertThat(c.node.run("conntrack", "-L", "--src-nat")).isBlank();
        assertThat(c.node.run("conntrack", "-L", "--dst-nat")).isBlank();
        assertThat(c.tcp(c.client, "198.19.0.10", 80, Duration.ofSeconds(1))).startsWith("error");
    }

    private void setEndpoints(
            String service,
            String proto,
            int port,
            List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> endpoints) {
        EndpointSlice s = slice(service, proto, port, endpoints);
        c.k8s.resource(s).update();
    }

    private String nftSet(String name) throws Exception {
        return c.node.runner()
                .run(List.of("nft", "list", "set", "inet", "vipd", name), null)
                .stdout();
    }

    private String logs() throws Exception {
        return "vipd logs:\n" + c.vipdLogs();
    }

    private void await(String what, Duration timeout, Callable<Boolean> condition) throws Exception {
        c.await(what, timeout, what.startsWith("vipd"), condition);
    }
}
