package io.vipd.node;

import static io.vipd.node.ClusterObjects.ready;
import static io.vipd.node.ClusterObjects.service;
import static io.vipd.node.ClusterObjects.slice;
import static io.vipd.node.NodeCluster.NODE_NAME;
import static io.vipd.node.NodeCluster.POD_A;
import static io.vipd.node.NodeCluster.POD_B;

import io.vipd.hitless.ListeningSockets;
import io.vipd.nodeport.interception.CommandRunner;
import io.vipd.nodeport.interception.InterceptionConfig;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The node-mode figures of README's "Upgrades and restarts" at a given number of services, run by hand (not a
 * test: it takes minutes at 10,000 services): {@code java -cp <proxy test classpath> io.vipd.node.NodeHitlessScale
 * 10000} as root. Builds NodeUpgradeTest's namespaces, creates N ClusterIP services with two endpoints each, then
 * measures the hand-over (new process start until the old one holds no listener) and the restart gap after
 * SIGKILL with the API server stopped (new process start until the last service serves, from the snapshot).
 */
public final class NodeHitlessScale {
    private NodeHitlessScale() {}

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        try (NodeCluster c = new NodeCluster()) {
            c.build();
            c.k8s.nodes().resource(ClusterObjects.node(NODE_NAME)).create();
            c.k8s.nodes().resource(ClusterObjects.node("node-b")).create();
            long created = System.nanoTime();
            for (int i = 0; i < n; i++) {
                String name = String.format("s%05d", i);
                c.k8s.services()
                        .resource(service(name, vip(i), "TCP", 80, 8083, b -> b))
                        .create();
                c.k8s.resource(slice(name, "TCP", 8083, List.of(ready(POD_A, NODE_NAME), ready(POD_B, "node-b"))))
                        .create();
            }
            System.out.printf("created %d services in %d ms%n", n, ms(created));
            String last = vip(n - 1);
            int tproxy = InterceptionConfig.DEFAULT_PORT;
            long start = System.nanoTime();
            Process first = c.startVipdProcess(Duration.ofSeconds(60));
            waitFor(Duration.ofMinutes(10), () -> echo(c, last));
            System.out.printf("first start, first sync until the last service serves: %d ms%n", ms(start));

            start = System.nanoTime();
            Process second = c.startVipdProcess(Duration.ofSeconds(60));
            waitFor(Duration.ofMinutes(5), () -> owners(c, tproxy).equals(Set.of(second.pid())));
            long handover = ms(start);
            first.destroy();
            waitFor(Duration.ofMinutes(1), () -> echo(c, last));

            second.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            c.api.destroy();
            c.api = null;
            start = System.nanoTime();
            c.startVipdProcess(Duration.ofSeconds(60));
            waitFor(Duration.ofMinutes(5), () -> echo(c, last));
            long gap = ms(start);
            System.out.printf("services=%d handover_ms=%d restart_gap_without_api_ms=%d%n", n, handover, gap);
            c.vipdCommand("cleanup");
        }
    }

    private static String vip(int i) {
        return "198.19." + (1 + i / 250) + "." + (i % 250 + 1);
    }

    private static Set<Long> owners(NodeCluster c, int port) {
        try {
            return ListeningSockets.tcpOwners(c.node.name(), port);
        } catch (Exception e) {
            return Set.of();
        }
    }

    private static boolean echo(NodeCluster c, String ip) {
        try {
            CommandRunner.Result r = c.client
                    .runner()
                    .run(List.of("socat", "-T", "2", "-", "TCP:" + ip + ":80,connect-timeout=1"), "x\n");
            return "x".equals(r.stdout().trim());
        } catch (Exception e) {
            return false;
        }
    }

    private static void waitFor(Duration limit, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("not within " + limit);
            }
            Thread.sleep(20);
        }
    }

    private static long ms(long since) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
    }
}
