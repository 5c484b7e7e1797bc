package io.vipd.node;

import static io.vipd.node.ClusterObjects.ready;
import static io.vipd.node.ClusterObjects.service;
import static io.vipd.node.ClusterObjects.slice;
import static io.vipd.node.NodeCluster.NODE_NAME;
import static io.vipd.node.NodeCluster.POD_A;
import static io.vipd.node.NodeCluster.POD_B;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vipd.handover.StateDirectory;
import io.vipd.hitless.HitlessLoad;
import io.vipd.hitless.ListeningSockets;
import io.vipd.nodeport.interception.CommandRunner;
import io.vipd.nodeport.interception.InterceptionConfig;
import io.vipd.testing.Requires;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code vipd node} under load from a client pod: upgraded twice as a DaemonSet rollout does it (new process on
 * the same state directory, then SIGTERM to the old one), then killed with SIGKILL and restarted while the API
 * server is down. The client sees no refused or reset connection, no broken long-lived connection, and no pause
 * over 2 s in UDP answers; the restarted process serves the table snapshot.
 */
@Requires(
        root = true,
        epoll = true,
        commands = {"ip", "nft", "sysctl", "socat", "curl"})
class NodeUpgradeTest {
    private static final String ECHO_IP = "198.19.0.30";
    private static final String UDP_IP = "198.19.0.31";
    private static final int LOAD_SECONDS = 45;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private NodeCluster c;

    @AfterEach
    void tearDown() throws Exception {
        if (c != null) {
            try {
                c.vipdCommand("cleanup");
            } finally {
                c.close();
            }
        }
    }

    @Test
    void twoUpgradesAndACrashWithoutTheApiServerLoseNothing() throws Exception {
        c = new NodeCluster();
        c.build();
        try {
            run();
        } catch (Throwable e) {
            System.err.println(c.vipdLogs());
            Path load = c.work.resolve("load.out");
            System.err.println(Files.exists(load) ? Files.readString(load) : "no load output");
            throw e;
        }
    }

    private void run() throws Exception {
        var k = c.k8s;
        k.nodes().resource(ClusterObjects.node(NODE_NAME)).create();
        k.nodes().resource(ClusterObjects.node("node-b")).create();
        k.services().resource(service("echo", ECHO_IP, "TCP", 80, 8083, b -> b)).create();
        k.resource(slice("echo", "TCP", 8083, List.of(ready(POD_A, NODE_NAME), ready(POD_B, "node-b"))))
                .create();
        k.services().resource(service("dns", UDP_IP, "UDP", 53, 5353, b -> b)).create();
        k.resource(slice("dns", "UDP", 5353, List.of(ready(POD_A, NODE_NAME), ready(POD_B, "node-b"))))
                .create();
        StateDirectory state = new StateDirectory(c.stateDir());
        int tproxyPort = InterceptionConfig.DEFAULT_PORT;

        Process first = c.startVipdProcess(Duration.ofSeconds(60));
        await().atMost(WAIT).until(() -> "x".equals(echo()));
        Path loadLog = c.work.resolve("load.out");
        Process load = new ProcessBuilder(
                        "ip",
                        "netns",
                        "exec",
                        c.client.name(),
                        NodeCluster.java(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        HitlessLoad.class.getName(),
                        ECHO_IP + ":80",
                        UDP_IP + ":53",
                        Integer.toString(LOAD_SECONDS))
                .redirectErrorStream(true)
                .redirectOutput(loadLog.toFile())
                .start();
        c.processes.add(load);
        Thread.sleep(3000);

        List<Long> handovers = new ArrayList<>();
        Process second = upgrade(state, tproxyPort, handovers);
        first.destroy(); // SIGTERM, as Kubernetes deletes the old pod once the new one is Ready
        Thread.sleep(3000);
        Process third = upgrade(state, tproxyPort, handovers);
        second.destroy();
        Thread.sleep(3000);

        long killedAt = System.currentTimeMillis();
        third.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        c.api.destroy();
        c.api = null;
        long restart = System.nanoTime();
        Process fourth = c.startVipdProcess(Duration.ofSeconds(60));
        await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> "x".equals(echo()));
        long restartGapMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restart);

        assertThat(load.waitFor(LOAD_SECONDS + 30, TimeUnit.SECONDS))
                .as("the load ends by itself")
                .isTrue();
        List<String> lines = Files.readAllLines(loadLog, StandardCharsets.UTF_8);
        String summary =
                lines.stream().filter(l -> l.startsWith("SUMMARY")).findFirst().orElse("no summary");
        List<String> events = lines.stream().filter(l -> l.startsWith("EVENT")).toList();
        // A short connection the killed process was relaying dies with it; anything else is a failure.
        List<String> unexplained =
                events.stream().filter(e -> !killedConnection(e, killedAt)).toList();
        assertThat(unexplained).as("what the client saw (%s)", summary).isEmpty();
        assertThat(events).as("never refused, never reset").noneMatch(e -> e.contains(" new_refused "));
        assertThat(value(summary, "udp_max_gap_ms"))
                .as("longest pause between UDP answers")
                .isLessThan(2000);
        assertThat(value(summary, "new_ok")).isGreaterThan(100);
        assertThat(value(summary, "long_lived_exchanges")).isGreaterThan(400);
        assertThat(ListeningSockets.tcpOwners(c.node.name(), tproxyPort)).containsExactly(fourth.pid());
        assertThat(first.waitFor(30, TimeUnit.SECONDS))
                .as("a drained old process exits")
                .isTrue();
        assertThat(second.waitFor(30, TimeUnit.SECONDS))
                .as("a drained old process exits")
                .isTrue();
        assertThat(c.vipdLogs()).contains("serving the table snapshot until the API server answers");
        CommandRunner.Result metrics =
                c.node.runner().run(List.of("curl", "-s", "http://127.0.0.1:10249/metrics"), null);
        assertThat(metrics.stdout()).contains("vipd_table_restored 1.0");
        assertThat(c.vipdCommand("services").stdout()).contains("serving the table snapshot taken at");
        System.out.printf(
                "node hand-over (new process start to old holding no listener): %s ms; restart gap after"
                        + " SIGKILL without API server (new process start to first served connection): %d ms; %s%n",
                handovers, restartGapMillis, summary);
    }

    /** Starts a new vipd node and waits until the previous one holds no listener; records how long that took. */
    private Process upgrade(StateDirectory state, int tproxyPort, List<Long> handovers) throws Exception {
        long start = System.nanoTime();
        Process next = c.startVipdProcess(Duration.ofSeconds(60));
        await().atMost(WAIT)
                .pollInterval(Duration.ofMillis(20))
                .until(() ->
                        ListeningSockets.tcpOwners(c.node.name(), tproxyPort).equals(Set.of(next.pid())));
        handovers.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        // The owner file (readiness) follows right after the listeners move.
        await().atMost(WAIT).until(() -> state.ownerPid().equals(java.util.Optional.of(next.pid())));
        return next;
    }

    /** One exchange with the echo service from the client pod: what came back, or "" on failure. */
    private String echo() throws Exception {
        CommandRunner.Result r = c.client
                .runner()
                .run(List.of("socat", "-T", "2", "-", "TCP:" + ECHO_IP + ":80,connect-timeout=1"), "x\n");
        return r.stdout().trim();
    }

    private static boolean killedConnection(String event, long killedAt) {
        String[] f = event.split(" ", 4);
        long at = Long.parseLong(f[1]);
        return at >= killedAt
                && at < killedAt + 1000
                && (f[2].equals("new_reset") || f[2].equals("new_bad_answer") || f[2].equals("new_error"));
    }

    private static long value(String summary, String key) {
        for (String kv : summary.split(" ")) {
            if (kv.startsWith(key + "=")) {
                return Long.parseLong(kv.substring(key.length() + 1));
            }
        }
        throw new AssertionError(key + " missing from " + summary);
    }
}
