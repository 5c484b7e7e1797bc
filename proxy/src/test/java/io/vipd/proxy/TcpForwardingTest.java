package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.backends;
import static io.vipd.proxy.Fixtures.entry;
import static io.vipd.proxy.Fixtures.ip;
import static io.vipd.proxy.Fixtures.tcpFrontend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.Frontend;
import io.vipd.lb.FrontendType;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** TCP forwarding through a real ProxyServer to real backends on 127.0.0.0/8. */
class TcpForwardingTest extends ProxyTestBase {
    @Test
    void spreadsConnectionsOverBackendsAndRelaysBothWays() throws Exception {
        TcpBackend a = backend(TcpBackend.identifying("127.0.0.2"));
        TcpBackend b = backend(TcpBackend.identifying("127.0.0.3"));
        TcpBackend c = backend(TcpBackend.identifying("127.0.0.4"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry("web", f, backends(a.address(), b.address(), c.address())).build());

        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < 60; i++) {
            seen.merge(whoAnswers(f, null), 1, Integer::sum);
        }
        assertThat(seen).containsOnlyKeys("127.0.0.2", "127.0.0.3", "127.0.0.4");

        try (Socket s = connect(f)) {
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            in.readLine();
            s.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).isEqualTo("ping");
        }
    }

    @Test
    void clientIpAffinityKeepsEachClientOnOneBackend() throws Exception {
        TcpBackend a = backend(TcpBackend.identifying("127.0.0.2"));
        TcpBackend b = backend(TcpBackend.identifying("127.0.0.3"));
        TcpBackend c = backend(TcpBackend.identifying("127.0.0.4"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry("sticky", f, backends(a.address(), b.address(), c.address()))
                        .affinityTimeoutSeconds(10800)
                        .build());

        Set<String> distinct = new HashSet<>();
        for (int client = 10; client < 22; client++) {
            String source = "127.0.1." + client;
            String first = whoAnswers(f, source);
            for (int i = 0; i < 5; i++) {
                assertThat(whoAnswers(f, source)).as("client %s", source).isEqualTo(first);
            }
            distinct.add(first);
        }
        // Affinity hashes the client IP, not a constant: twelve clients do not all land on one backend.
        assertThat(distinct).hasSizeGreaterThan(1);
    }

    @Test
    void clientIpAffinitySurvivesBackendsBeingAdded() throws Exception {
        TcpBackend a = backend(TcpBackend.identifying("127.0.0.2"));
        TcpBackend b = backend(TcpBackend.identifying("127.0.0.3"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry("sticky", f, backends(a.address(), b.address()))
                        .affinityTimeoutSeconds(10800)
                        .build());
        Map<String, String> first = new HashMap<>();
        for (int client = 10; client < 30; client++) {
            first.put("127.0.1." + client, whoAnswers(f, "127.0.1." + client));
        }

        // Four more backends: Maglev alone would move about two thirds of these clients.
        List<InetSocketAddress> more = new ArrayList<>(List.of(a.address(), b.address()));
        for (int i = 4; i < 8; i++) {
            more.add(backend(TcpBackend.identifying("127.0.0." + i)).address());
        }
        table.apply(
                List.of(entry("sticky", f, backends(more.toArray(new InetSocketAddress[0])))
                        .affinityTimeoutSeconds(10800)
                        .build()),
                List.of());
        for (Map.Entry<String, String> e : first.entrySet()) {
            assertThat(whoAnswers(f, e.getKey())).as("client %s", e.getKey()).isEqualTo(e.getValue());
        }
    }

    @Test
    void weightsShapeTheShareAndWeightZeroGetsNothing() throws Exception {
        TcpBackend light = backend(TcpBackend.identifying("127.0.0.2"));
        TcpBackend heavy = backend(TcpBackend.identifying("127.0.0.3"));
        TcpBackend none = backend(TcpBackend.identifying("127.0.0.4"));
        Frontend f = tcpFrontend("127.0.0.1");
        BackendSet set = BackendSet.of(
                Backend.of(light.address(), 1), Backend.of(heavy.address(), 4), Backend.of(none.address(), 0));
        proxy(ProxyConfig.defaults(), entry("weighted", f, set).build());

        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < 150; i++) {
            seen.merge(whoAnswers(f, null), 1, Integer::sum);
        }
        assertThat(seen).doesNotContainKey("127.0.0.4");
        assertThat(seen.getOrDefault("127.0.0.3", 0)).isGreaterThan(2 * seen.getOrDefault("127.0.0.2", 0));
    }

    @Test
    void leastConnectionsAvoidsTheBusyBackend() throws Exception {
        TcpBackend a = backend(TcpBackend.identifying("127.0.0.2"));
        TcpBackend b = backend(TcpBackend.identifying("127.0.0.3"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry("lc", f, backends(a.address(), b.address()))
                        .algorithm(io.vipd.lb.Algorithm.LEAST_CONNECTIONS)
                        .build());

        try (Socket held = connect(f)) {
            String busy = firstLine(held);
            for (int i = 0; i < 10; i++) {
                assertThat(whoAnswers(f, null)).isNotEqualTo(busy);
                await().atMost(Duration.ofSeconds(5)).until(() -> proxy.activeConnections() == 1);
            }
        }
    }

    @Test
    void halfCloseStillDeliversTheWholeResponse() throws Exception {
        int size = 3 * 1024 * 1024;
        TcpBackend b = backend(new TcpBackend("127.0.0.2", 0, s -> {
            byte[] request = s.getInputStream().readAllBytes(); // until the client's FIN
            byte[] response = new byte[size];
            for (int i = 0; i < size; i++) {
                response[i] = (byte) (i * 31 + request.length);
            }
            s.getOutputStream().write(response);
        }));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(ProxyConfig.defaults(), entry("half", f, backends(b.address())).build());

        try (Socket s = connect(f)) {
            s.getOutputStream().write(new byte[] {1, 2, 3, 4, 5});
            s.shutdownOutput();
            byte[] got = s.getInputStream().readAllBytes();
            assertThat(got).hasSize(size);
            assertThat(got[size - 1]).isEqualTo((byte) ((size - 1) * 31 + 5));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.activeConnections() == 0);
    }

    @Test
    void backendResetReachesTheClientAsReset() throws Exception {
        TcpBackend b = backend(new TcpBackend("127.0.0.2", 0, s -> {
            s.getInputStream().read();
            s.setSoLinger(true, 0);
            s.close();
        }));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(ProxyConfig.defaults(), entry("rst", f, backends(b.address())).build());

        try (Socket s = connect(f)) {
            s.getOutputStream().write('x');
            assertThatThrownBy(() -> readUntilError(s.getInputStream()))
                    .isInstanceOf(SocketException.class)
                    .hasMessageContaining("reset");
        }
    }

    @Test
    void failedConnectIsRetriedOnTheNextBackend() throws Exception {
        TcpBackend live = backend(TcpBackend.identifying("127.0.0.2"));
        InetSocketAddress dead = new InetSocketAddress(ip("127.0.0.3"), Fixtures.freeTcpPort("127.0.0.3"));
        Frontend f = tcpFrontend("127.0.0.1");
        // A high threshold keeps the dead backend in rotation, so retries are exercised every time.
        proxy(
                ProxyConfig.defaults().withEjectionThreshold(1000),
                entry("retry", f, backends(live.address(), dead)).build());

        for (int i = 0; i < 30; i++) {
            assertThat(whoAnswers(f, null)).isEqualTo("127.0.0.2");
        }
        assertThat(registry.get("vipd.backend.retries").counter().count()).isPositive();
        assertThat(registry.get("vipd.connections")
                        .tag("backend", "127.0.0.3:" + dead.getPort())
                        .tag("result", "connect_failed")
                        .counter()
                        .count())
                .isPositive();
    }

    @Test
    void failingBackendIsEjectedThenReadmitted() throws Exception {
        TcpBackend live = backend(TcpBackend.identifying("127.0.0.2"));
        int deadPort = Fixtures.freeTcpPort("127.0.0.3");
        InetSocketAddress dead = new InetSocketAddress(ip("127.0.0.3"), deadPort);
        String deadKey = "127.0.0.3:" + deadPort;
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults().withEjectionThreshold(2).withEjectionBackoff(Duration.ofSeconds(2)),
                entry("eject", f, backends(live.address(), dead)).build());

        while (proxy.stats().services().get(0).backend(deadKey).connectFailures() < 2) {
            assertThat(whoAnswers(f, null)).isEqualTo("127.0.0.2");
        }
        assertThat(proxy.stats().services().get(0).backend(deadKey).ejected()).isTrue();
        assertThat(proxy.stats().services().get(0).backend(deadKey).ejections()).isEqualTo(1);
        // While ejected, new connections do not even try it.
        for (int i = 0; i < 20; i++) {
            whoAnswers(f, null);
        }
        assertThat(proxy.stats().services().get(0).backend(deadKey).connectFailures())
                .isEqualTo(2);

        backend(TcpBackend.identifyingOn("127.0.0.3", deadPort));
        await().atMost(Duration.ofSeconds(10)).until(() -> "127.0.0.3".equals(whoAnswers(f, null)));
        assertThat(proxy.stats().services().get(0).backend(deadKey).ejected()).isFalse();
        // The count of ejections outlives the ejection (it is a counter).
        assertThat(proxy.stats().services().get(0).backend(deadKey).ejections()).isEqualTo(1);
    }

    @Test
    void dualStackFrontendsForwardOnlyToTheirOwnFamilyAndRejectWhenItIsGone() throws Exception {
        TcpBackend v4 = backend(TcpBackend.identifying("127.0.0.2"));
        TcpBackend v6 = backend(TcpBackend.identifying("::1"));
        Frontend f4 = tcpFrontend("127.0.0.1");
        Frontend f6 = tcpFrontend("::1");
        BackendSet v4Set = backends(v4.address());
        BackendSet v6Set = backends(v6.address());
        ServicePortEntry.Builder dual = ServicePortEntry.builder(Fixtures.name("dual", f4.protocol()))
                .frontends(List.of(
                        new ServiceFrontend(f4, FrontendType.CLUSTER_IP),
                        new ServiceFrontend(f6, FrontendType.CLUSTER_IP)))
                .endpoints(backends(v4.address(), v6.address()))
                .categorized(false, v4Set, null, true)
                .categorized(true, v6Set, null, true);
        proxy(ProxyConfig.defaults(), dual.build());
        for (int i = 0; i < 10; i++) {
            assertThat(whoAnswers(f4, null)).isEqualTo("127.0.0.2");
            assertThat(whoAnswers(f6, null)).isEqualTo("::1");
        }

        // The IPv6 endpoints are gone: the IPv6 frontend rejects, the IPv4 one still forwards.
        table.apply(
                List.of(dual.endpoints(v4Set)
                        .categorized(true, null, null, false)
                        .build()),
                List.of());
        assertThatThrownBy(() -> {
                    try (Socket s = connect(f6)) {
                        s.getOutputStream().write('x');
                        int r = s.getInputStream().read();
                        throw new AssertionError(r < 0 ? "orderly EOF instead of a reset" : "got data: " + r);
                    }
                })
                .isInstanceOf(SocketException.class);
        assertThat(registry.get("vipd.connections")
                        .tag("result", "rejected")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(whoAnswers(f4, null)).isEqualTo("127.0.0.2");
    }

    @Test
    void serviceWithoutBackendsResetsAtOnceWithNoData() throws Exception {
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(ProxyConfig.defaults(), entry("empty", f, BackendSet.empty()).build());

        // The reset may already surface in connect(), or at the first read or write: never as data or EOF.
        assertThatThrownBy(() -> {
                    try (Socket s = connect(f)) {
                        s.setSoTimeout(2000);
                        s.getOutputStream().write('x');
                        int r = s.getInputStream().read();
                        throw new AssertionError(r < 0 ? "orderly EOF instead of a reset" : "got data: " + r);
                    }
                })
                .isInstanceOf(SocketException.class);
        assertThat(registry.get("vipd.connections")
                        .tag("result", "rejected")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void dropRouteNeverAnswersThenResetsAfterTheConnectTimeout() throws Exception {
        TcpBackend remote = backend(TcpBackend.identifying("127.0.0.2"));
        Frontend f = tcpFrontend("127.0.0.1");
        // externalTrafficPolicy Local with endpoints only on other nodes: kube-proxy drops.
        ServicePortEntry e = ServicePortEntry.builder(Fixtures.name("local", f.protocol()))
                .frontends(List.of(new io.vipd.lb.ServiceFrontend(f, io.vipd.lb.FrontendType.LOAD_BALANCER)))
                .endpoints(backends(remote.address()))
                .categorized(backends(remote.address()), BackendSet.empty(), true)
                .externalPolicyLocal(true)
                .build();
        proxy(ProxyConfig.defaults().withConnectTimeout(Duration.ofMillis(1500)), e);

        try (Socket s = connect(f)) {
            s.setSoTimeout(500);
            s.getOutputStream().write('x');
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(java.net.SocketTimeoutException.class);
            s.setSoTimeout(5000);
            assertThatThrownBy(() -> readUntilError(s.getInputStream())).isInstanceOf(SocketException.class);
        }
        assertThat(remote.accepted.get()).isZero();
        assertThat(registry.get("vipd.connections")
                        .tag("result", "dropped")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void sourceOutsideLoadBalancerSourceRangesIsDropped() throws Exception {
        TcpBackend b = backend(TcpBackend.identifying("127.0.0.2"));
        Frontend f = tcpFrontend("127.0.0.1");
        ServicePortEntry e = ServicePortEntry.builder(Fixtures.name("ranges", f.protocol()))
                .frontends(List.of(new io.vipd.lb.ServiceFrontend(f, io.vipd.lb.FrontendType.LOAD_BALANCER)))
                .backends(backends(b.address()))
                .sourceRanges(List.of(io.vipd.lb.Cidr.parse("127.0.2.0/24")))
                .build();
        proxy(ProxyConfig.defaults().withConnectTimeout(Duration.ofMillis(800)), e);

        assertThat(whoAnswers(f, "127.0.2.7")).isEqualTo("127.0.0.2");
        try (Socket s = connect(f, "127.0.3.7")) {
            s.setSoTimeout(400);
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(java.net.SocketTimeoutException.class);
        }
        assertThat(b.accepted.get()).isEqualTo(1);
    }

    @Test
    void idleConnectionsAreClosedWhenAnIdleTimeoutIsSet() throws Exception {
        TcpBackend b = backend(TcpBackend.echo("127.0.0.2"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults().withIdleTimeout(Duration.ofMillis(300)),
                entry("idle", f, backends(b.address())).build());

        try (Socket s = connect(f)) {
            s.getOutputStream().write("a\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(firstLine(s)).isEqualTo("a");
            long start = System.nanoTime();
            assertThatThrownBy(() -> {
                        if (s.getInputStream().read() < 0) {
                            throw new SocketException("closed");
                        }
                    })
                    .isInstanceOf(SocketException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.activeConnections() == 0);
    }
}
