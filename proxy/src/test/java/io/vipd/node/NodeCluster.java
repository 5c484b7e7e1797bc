package io.vipd.node;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.vipd.nodeport.NetNs;
import io.vipd.nodeport.interception.CommandRunner;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * A one-machine cluster for node mode end-to-end tests, built from network namespaces joined by veth pairs:
 * a node namespace running the real {@code vipd node} process, pod namespaces with real servers, a client pod,
 * an external client, and the fabric8 CRUD mock API server in this JVM, which the node reaches over its own veth
 * as a real node reaches its control plane. Only 198.18.0.0/15 addresses. Test helper; {@link #close} removes
 * everything, processes first.
 *
 * <pre>
 *   root ns  198.18.255.x ── 198.18.255.x+1  node (vipd)  198.18.64.1 ── 198.18.64.2  ext
 *                                          198.18.129.1 ── 198.18.129.2 pod-a (node-a, this node)
 *                                          198.18.130.1 ── 198.18.130.2 pod-b (node-b)
 *                                          198.18.131.1 ── 198.18.131.2 client pod
 *                                          198.18.66.1 ── 198.18.66.2  node2 (router, no vipd)
 *                                                         198.18.144.1 ── 198.18.144.2 pod-c (node-c)
 * </pre>
 * node and node2 route each other's pod CIDR (198.18.128.0/20 and 198.18.144.0/20) as a routed pod network does;
 * node2 has no other route, so a backend behind it can only answer addresses in this node's pod CIDR or on the
 * link between the nodes.
 */
final class NodeCluster implements AutoCloseable {
    static final String NODE_NAME = "node-a";
    static final String CLUSTER_CIDR = "198.18.128.0/17";
    static final String NODE_IP = "198.18.64.1";
    static final String EXT_IP = "198.18.64.2";
    static final String POD_A = "198.18.129.2";
    static final String POD_B = "198.18.130.2";
    static final String CLIENT_IP = "198.18.131.2";
    static final String REMOTE_NODE_NAME = "node-c";
    static final String POD_C = "198.18.144.2";
    /** This node's address on the link to node2: the source of its own connections to pod-c. */
    static final String NODE_LINK_IP = "198.18.66.1";
    /**
     * A dual-stack cluster ({@link #dualStack}) also gives the node, ext, pod-a, pod-b and client links IPv6
     * addresses: 2001:2:0:X::1 and ::2 for 198.18.X.1 and .2; its pod CIDR is 2001:2:0:100::/56.
     */
    static final String CLUSTER_CIDR6 = "2001:2:0:100::/56";

    static final String NODE_IP6 = "2001:2:0:64::1";
    static final String EXT_IP6 = "2001:2:0:64::2";
    static final String POD_A6 = "2001:2:0:129::2";
    static final String POD_B6 = "2001:2:0:130::2";
    static final String CLIENT_IP6 = "2001:2:0:131::2";
    /** Where IPv6 Service addresses come from in a dual-stack cluster; ext routes it via the node. */
    static final String SERVICE_CIDR6 = "2001:2:0:f::/64";

    final String id = UUID.randomUUID().toString().substring(0, 6);
    final List<NetNs> namespaces = new ArrayList<>();
    final List<Process> processes = new ArrayList<>();
    final Path work;
    NetNs node;
    NetNs podA;
    NetNs podB;
    NetNs client;
    NetNs ext;
    NetNs node2;
    NetNs podC;
    KubernetesMockServer api;
    KubernetesClient k8s;
    Path kubeconfig;
    Process vipd;
    /** Set before {@link #build}: IPv6 addresses beside the IPv4 ones, and vipd told of both families. */
    boolean dualStack;

    private final String apiLink;
    /** A random /30 of 198.18.255.0/24 for the API link, so concurrent runs on one machine do not collide. */
    private final int apiSubnet =
            4 * java.util.concurrent.ThreadLocalRandom.current().nextInt(64);

    final String apiIp = "198.18.255." + (apiSubnet + 1);
    private final CommandRunner host = CommandRunner.processes();

    NodeCluster() throws IOException {
        work = Files.createTempDirectory("vipd-e2e-");
        apiLink = "va" + id;
    }

    /** Builds the namespaces, links, servers and the API server. */
    void build() throws IOException {
        node = ns("node");
        podA = ns("pa");
        podB = ns("pb");
        client = ns("cl");
        ext = ns("ext");
        node2 = ns("n2");
        podC = ns("pc");
        node.run("sysctl", "-qw", "net.ipv4.ip_forward=1");
        node2.run("sysctl", "-qw", "net.ipv4.ip_forward=1");
        if (dualStack) {
            node.run("sysctl", "-qw", "net.ipv6.conf.all.forwarding=1");
        }
        hostRun("ip", "link", "add", apiLink, "type", "veth", "peer", "name", "vb" + id, "netns", node.name());
        hostRun("ip", "addr", "add", apiIp + "/30", "dev", apiLink);
        hostRun("ip", "link", "set", apiLink, "up");
        node.run("ip", "addr", "add", "198.18.255." + (apiSubnet + 2) + "/30", "dev", "vb" + id);
        node.run("ip", "link", "set", "vb" + id, "up");
        link(node, ext, "198.18.64", "e", false);
        link(node, podA, "198.18.129", "a", true);
        link(node, podB, "198.18.130", "b", true);
        link(node, client, "198.18.131", "c", true);
        link(node, node2, "198.18.66", "r", false);
        link(node2, podC, "198.18.144", "q", true);
        node.run("ip", "route", "add", "198.18.144.0/20", "via", "198.18.66.2");
        node2.run("ip", "route", "add", "198.18.128.0/20", "via", NODE_LINK_IP);
        // The node's default route points at the external network, which makes 198.18.64.1 its primary IP.
        node.run("ip", "route", "add", "default", "via", EXT_IP);
        ext.run("ip", "route", "add", "198.19.0.0/16", "via", NODE_IP);
        if (dualStack) {
            node.run("ip", "-6", "route", "add", "default", "via", EXT_IP6);
            ext.run("ip", "-6", "route", "add", SERVICE_CIDR6, "via", NODE_IP6);
        }
        for (NetNs pod : List.of(podA, podB, podC)) {
            String name = pod == podA ? "pod-a" : pod == podB ? "pod-b" : "pod-c";
            start(pod, "socat", "TCP-LISTEN:8080,fork,reuseaddr", "SYSTEM:echo " + name);
            // The address the backend sees: "pod-a 198.18.131.2".
            start(pod, "socat", "TCP-LISTEN:8081,fork,reuseaddr", "SYSTEM:echo " + name + " $SOCAT_PEERADDR");
            // The first 28 bytes (a PROXY v2 header for TCP over IPv4) in hex.
            start(pod, "socat", "TCP-LISTEN:8082,fork,reuseaddr", "SYSTEM:head -c 28 | od -An -v -tx1");
            // Echoes what it reads, for long-lived connections.
            start(pod, "socat", "TCP-LISTEN:8083,fork,reuseaddr", "EXEC:cat");
            if (dualStack && pod != podC) {
                start(pod, "socat", "TCP6-LISTEN:8080,ipv6only=1,fork,reuseaddr", "SYSTEM:echo " + name);
                start(
                        pod,
                        "socat",
                        "TCP6-LISTEN:8081,ipv6only=1,fork,reuseaddr",
                        "SYSTEM:echo " + name + " $SOCAT_PEERADDR");
            }
            start(
                    pod,
                    java(),
                    "-cp",
                    System.getProperty("java.class.path"),
                    UdpNameServer.class.getName(),
                    name,
                    "5353",
                    "5354");
        }
        api = new KubernetesMockServer(
                new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        api.init(InetAddress.getByName(apiIp), 0);
        k8s = api.createClient();
        kubeconfig = work.resolve("kubeconfig");
        Files.writeString(
                kubeconfig,
                String.join(
                        "\n",
                        "apiVersion: v1",
                        "kind: Config",
                        "clusters:",
                        "- cluster:",
                        "    server: http://" + apiIp + ":" + api.getPort(),
                        "  name: mock",
                        "contexts:",
                        "- context:",
                        "    cluster: mock",
                        "    user: mock",
                        "  name: mock",
                        "current-context: mock",
                        "users:",
                        "- name: mock",
                        "  user: {}",
                        ""));
    }

    /**
     * One more pod namespace behind the node, {@code prefix}.2/24 (inside {@link #CLUSTER_CIDR}), for tests that
     * need another local client. Call after {@link #build}.
     */
    NetNs addLocalPod(String role, String prefix, String tag) throws IOException {
        NetNs pod = ns(role);
        link(node, pod, prefix, tag, true);
        return pod;
    }

    /** Starts the real vipd node process in the node namespace. */
    void startVipd(String... extraArgs) throws IOException {
        vipd = startVipdProcess(Duration.ofSeconds(1), extraArgs);
    }

    /** Starts another vipd node process on the same state directory; it logs to its own file in the work directory. */
    Process startVipdProcess(Duration shutdownGrace, String... extraArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                "ip",
                "netns",
                "exec",
                node.name(),
                java(),
                "-cp",
                System.getProperty("java.class.path"),
                "io.vipd.cli.Main",
                "node",
                "--kubeconfig",
                kubeconfig.toString(),
                "--hostname-override",
                NODE_NAME,
                "--cluster-cidr",
                dualStack ? CLUSTER_CIDR + "," + CLUSTER_CIDR6 : CLUSTER_CIDR,
                "--nodeport-addresses",
                dualStack ? "198.18.64.0/24,2001:2:0:64::/64" : "198.18.64.0/24",
                "--healthz-bind-address",
                NODE_IP + ":10256",
                "--metrics-bind-address",
                "127.0.0.1:10249",
                "--shutdown-grace",
                shutdownGrace.toMillis() + "ms",
                "--state-dir",
                stateDir().toString()));
        cmd.addAll(List.of(extraArgs));
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(vipdLog().toFile())
                .start();
        processes.add(p);
        return p;
    }

    /** node2's address on the link to this node: its NodePort and healthCheckNodePort address when it runs vipd. */
    static final String REMOTE_NODE_IP = "198.18.66.2";

    /**
     * Makes node2 a second node that runs vipd too (as {@value #REMOTE_NODE_NAME}): it reaches the API server
     * through this node, which masquerades it (so the host needs no route of its own), and the external
     * client reaches it through this node.
     */
    void joinRemoteNode() throws IOException {
        CommandRunner.Result nat = node.runner()
                .run(
                        List.of("nft", "-f", "-"),
                        "table ip e2e-nat {\n\tchain post {\n"
                                + "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
                                + "\t\tip saddr " + REMOTE_NODE_IP + " ip daddr " + apiIp + " masquerade\n"
                                + "\t}\n}\n");
        if (!nat.ok()) {
            throw new IOException("nft (masquerade for node2): " + nat.stderr());
        }
        node2.run("ip", "route", "add", apiIp, "via", NODE_LINK_IP);
        node2.run("ip", "route", "add", "198.18.64.0/24", "via", NODE_LINK_IP);
        ext.run("ip", "route", "add", "198.18.66.0/24", "via", NODE_IP);
    }

    /** Starts vipd node in node2 as {@value #REMOTE_NODE_NAME}, with its own state directory and log. */
    Process startRemoteVipd() throws IOException {
        List<String> cmd = List.of(
                "ip",
                "netns",
                "exec",
                node2.name(),
                java(),
                "-cp",
                System.getProperty("java.class.path"),
                "io.vipd.cli.Main",
                "node",
                "--kubeconfig",
                kubeconfig.toString(),
                "--hostname-override",
                REMOTE_NODE_NAME,
                "--cluster-cidr",
                CLUSTER_CIDR,
                "--nodeport-addresses",
                "198.18.66.0/24",
                "--healthz-bind-address",
                REMOTE_NODE_IP + ":10256",
                "--metrics-bind-address",
                "127.0.0.1:10249",
                "--shutdown-grace",
                "1s",
                "--state-dir",
                work.resolve("state-" + REMOTE_NODE_NAME).toString());
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(work.resolve("vipd-" + REMOTE_NODE_NAME + "-" + System.nanoTime() + ".log")
                        .toFile())
                .start();
        processes.add(p);
        return p;
    }

    private Path vipdLog() {
        return work.resolve("vipd-" + System.nanoTime() + ".log");
    }

    /** The vipd processes' state directory (hand-over socket, snapshot, owner file). */
    Path stateDir() {
        return work.resolve("state");
    }

    /** Stops the vipd process (SIGTERM, then SIGKILL after 10 s). */
    void stopVipd() throws InterruptedException {
        if (vipd != null && vipd.isAlive()) {
            vipd.destroy();
            if (!vipd.waitFor(10, TimeUnit.SECONDS)) {
                vipd.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** The vipd logs so far, for failure messages. */
    String vipdLogs() throws IOException {
        StringBuilder b = new StringBuilder();
        try (var files = Files.list(work)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".log"))
                    .sorted()
                    .toList()) {
                b.append("==> ").append(p).append('\n').append(Files.readString(p));
            }
        }
        return b.toString();
    }

    /**
     * Polls {@code condition} every 200 ms until it holds; fails with the vipd logs once {@code timeout} passes, or
     * earlier when vipd has exited and {@code untilVipdExits} says waiting on is pointless.
     */
    void await(String what, Duration timeout, boolean untilVipdExits, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Boolean.TRUE.equals(condition.call())) {
                return;
            }
            if (untilVipdExits && vipd != null && !vipd.isAlive()) {
                break;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("timed out waiting until " + what + "\nvipd logs:\n" + vipdLogs());
    }

    /** Runs a vipd subcommand (e.g. cleanup) to completion in the node namespace. */
    CommandRunner.Result vipdCommand(String... args) throws IOException {
        List<String> cmd =
                new ArrayList<>(List.of(java(), "-cp", System.getProperty("java.class.path"), "io.vipd.cli.Main"));
        cmd.addAll(List.of(args));
        return node.runner().run(cmd, null);
    }

    /** One TCP exchange: what the server sent, or "error: ..." with socat's reason. */
    String tcp(NetNs from, String ip, int port, Duration connectTimeout) throws IOException {
        CommandRunner.Result r = from.runner()
                .run(
                        List.of(
                                "socat",
                                "-T",
                                "3",
                                "-u",
                                "TCP:" + ip + ":" + port + ",connect-timeout=" + connectTimeout.toMillis() / 1000.0,
                                "STDOUT"),
                        null);
        return r.ok() ? r.stdout().trim() : "error: " + r.stderr().trim();
    }

    String tcp(NetNs from, String ip, int port) throws IOException {
        return tcp(from, ip, port, Duration.ofSeconds(3));
    }

    /**
     * One UDP request from a fixed source port: the reply, "" when none came within a second, or "error: ..."
     * with socat's reason (an ICMP port unreachable shows as "Connection refused").
     */
    String udp(NetNs from, String ip, int port, int sourcePort) throws IOException {
        CommandRunner.Result r = from.runner()
                .run(
                        List.of(
                                "socat",
                                "-T",
                                "2",
                                "-t",
                                "1",
                                "-",
                                "UDP:" + ip + ":" + port + ",sourceport=" + sourcePort + ",reuseaddr"),
                        "x\n");
        return r.ok() || !r.stdout().isBlank()
                ? r.stdout().trim()
                : "error: " + r.stderr().trim();
    }

    /** An HTTP GET with curl: "CODE BODY". */
    String http(NetNs from, String url) throws IOException {
        CommandRunner.Result r =
                from.runner().run(List.of("curl", "-s", "--max-time", "3", "-w", " %{http_code}", url), null);
        String out = r.stdout();
        int sp = out.lastIndexOf(' ');
        return sp < 0 ? "000 " + out : out.substring(sp + 1) + " " + out.substring(0, sp);
    }

    /**
     * A long-lived UDP client socket (socat) in {@code from}, like a resolver that keeps one socket: the test
     * writes requests to its stdin and reads replies from its stdout.
     */
    Process udpClient(NetNs from, String ip, int port) throws IOException {
        Process p = new ProcessBuilder(
                        "ip", "netns", "exec", from.name(), "socat", "-T", "30", "-", "UDP:" + ip + ":" + port)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        processes.add(p);
        return p;
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private NetNs ns(String role) throws IOException {
        NetNs n = NetNs.create(role + id);
        namespaces.add(n);
        return n;
    }

    /** A veth pair router:{prefix}.1/24 ↔ pod:{prefix}.2/24, optionally the pod's default route via the router. */
    private void link(NetNs router, NetNs pod, String prefix, String tag, boolean defaultRoute) throws IOException {
        String nodeEnd = "n" + tag + id;
        String podEnd = "p" + tag + id;
        router.run("ip", "link", "add", nodeEnd, "type", "veth", "peer", "name", podEnd, "netns", pod.name());
        router.run("ip", "addr", "add", prefix + ".1/24", "dev", nodeEnd);
        router.run("ip", "link", "set", nodeEnd, "up");
        pod.run("ip", "addr", "add", prefix + ".2/24", "dev", podEnd);
        pod.run("ip", "link", "set", podEnd, "up");
        if (defaultRoute) {
            pod.run("ip", "route", "add", "default", "via", prefix + ".1");
        }
        if (dualStack && router == node && !tag.equals("r")) {
            // 198.18.X.0/24 ↔ 2001:2:0:X::/64; nodad: the address is usable at once, not after duplicate detection.
            String prefix6 = "2001:2:0:" + prefix.substring(prefix.lastIndexOf('.') + 1) + "::";
            router.run("ip", "-6", "addr", "add", prefix6 + "1/64", "dev", nodeEnd, "nodad");
            pod.run("ip", "-6", "addr", "add", prefix6 + "2/64", "dev", podEnd, "nodad");
            if (defaultRoute) {
                pod.run("ip", "-6", "route", "add", "default", "via", prefix6 + "1");
            }
        }
    }

    private void start(NetNs in, String... command) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", in.name()));
        cmd.addAll(List.of(command));
        processes.add(new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start());
    }

    private void hostRun(String... command) throws IOException {
        CommandRunner.Result r = host.run(List.of(command), null);
        if (!r.ok()) {
            throw new IOException(String.join(" ", command) + ": " + r.stderr());
        }
    }

    @Override
    public void close() throws Exception {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (k8s != null) {
            k8s.close();
        }
        if (api != null) {
            api.destroy();
        }
        for (NetNs n : namespaces) {
            n.close();
        }
        host.run(List.of("ip", "link", "del", apiLink), null);
        try (var files = Files.walk(work)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
