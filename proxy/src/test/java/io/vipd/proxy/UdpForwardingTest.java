package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.address;
import static io.vipd.proxy.Fixtures.backends;
import static io.vipd.proxy.Fixtures.entry;
import static io.vipd.proxy.Fixtures.ip;
import static io.vipd.proxy.Fixtures.udpFrontend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.BackendState;
import io.vipd.lb.Frontend;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** UDP flows through a real ProxyServer. */
class UdpForwardingTest extends ProxyTestBase {

    private DatagramSocket client() throws IOException {
        DatagramSocket s = closeLater(new DatagramSocket(new InetSocketAddress(ip("127.0.0.1"), 0)));
        s.setSoTimeout(3000);
        return s;
    }

    /** Sends one datagram and returns the reply's payload; the reply must come from the frontend address. */
    private static String ask(DatagramSocket s, Frontend f, String payload) throws IOException {
        byte[] b = payload.getBytes(StandardCharsets.US_ASCII);
        s.send(new DatagramPacket(b, b.length, address(f)));
        DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
        s.receive(reply);
        assertThat(reply.getSocketAddress()).isEqualTo(address(f));
        return new String(reply.getData(), 0, reply.getLength(), StandardCharsets.US_ASCII);
    }

    private double evictions(String reason) {
        return registry.get("vipd.udp.flow.evictions")
                .tag("reason", reason)
                .counter()
                .count();
    }

    @Test
    void requestAndReplyComeBackFromTheFrontendAddress() throws Exception {
        UdpBackend b = closeLater(new UdpBackend("127.0.0.2", 0));
        Frontend f = udpFrontend("127.0.0.1");
        proxy(ProxyConfig.defaults(), entry("dns", f, backends(b.address())).build());

        DatagramSocket c = client();
        assertThat(ask(c, f, "q1")).isEqualTo("127.0.0.2:q1");
        assertThat(ask(c, f, "q2")).isEqualTo("127.0.0.2:q2");
        assertThat(proxy.activeUdpFlows()).isEqualTo(1);
        assertThat(ask(client(), f, "q3")).isEqualTo("127.0.0.2:q3");
        assertThat(proxy.activeUdpFlows()).isEqualTo(2);
    }

    /** Listener and backend sockets follow each address's family, so every family pairing must relay. */
    @Test
    void ipv6AndMixedFamilyFlowsRelayBothWays() throws Exception {
        UdpBackend v4 = closeLater(new UdpBackend("127.0.0.2", 0));
        UdpBackend v6 = closeLater(new UdpBackend("::1", 0));
        Frontend sixToSix = udpFrontend("::1");
        Frontend sixToFour = udpFrontend("::1");
        Frontend fourToSix = udpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry("v6", sixToSix, backends(v6.address())).build(),
                entry("v6to4", sixToFour, backends(v4.address())).build(),
                entry("v4to6", fourToSix, backends(v6.address())).build());

        DatagramSocket c6 = closeLater(new DatagramSocket(new InetSocketAddress(ip("::1"), 0)));
        c6.setSoTimeout(3000);
        assertThat(ask(c6, sixToSix, "a")).isEqualTo("::1:a");
        assertThat(ask(c6, sixToFour, "b")).isEqualTo("127.0.0.2:b");
        assertThat(ask(client(), fourToSix, "c")).isEqualTo("::1:c");
        assertThat(proxy.activeUdpFlows()).isEqualTo(3);
    }

    @Test
    void largeDatagramsPassWholeBothWays() throws Exception {
        UdpBackend b = closeLater(new UdpBackend("127.0.0.2", 0));
        Frontend f = udpFrontend("127.0.0.1");
        proxy(ProxyConfig.defaults(), entry("big", f, backends(b.address())).build());
        String payload = "x".repeat(30_000);
        DatagramSocket c = client();
        byte[] q = payload.getBytes(StandardCharsets.US_ASCII);
        c.send(new DatagramPacket(q, q.length, address(f)));
        DatagramPacket reply = new DatagramPacket(new byte[65536], 65536);
        c.receive(reply);
        assertThat(reply.getLength()).isEqualTo("127.0.0.2:".length() + 30_000);
    }

    @Test
    void flowIsEvictedAtOnceWhenItsBackendLeavesTheTable() throws Exception {
        UdpBackend a = closeLater(new UdpBackend("127.0.0.2", 0));
        UdpBackend b = closeLater(new UdpBackend("127.0.0.3", 0));
        Frontend f = udpFrontend("127.0.0.1");
        proxy(ProxyConfig.defaults(), entry("dns", f, backends(a.address())).build());
        DatagramSocket c = client();
        assertThat(ask(c, f, "before")).isEqualTo("127.0.0.2:before");

        table.apply(List.of(entry("dns", f, backends(b.address())).build()), List.of());
        await().atMost(Duration.ofSeconds(5)).until(() -> evictions("backend_gone") == 1);
        assertThat(ask(c, f, "after")).isEqualTo("127.0.0.3:after");
    }

    @Test
    void flowIsEvictedWhenItsBackendStopsServing() throws Exception {
        UdpBackend a = closeLater(new UdpBackend("127.0.0.2", 0));
        UdpBackend b = closeLater(new UdpBackend("127.0.0.3", 0));
        Frontend f = udpFrontend("127.0.0.1");
        proxy(ProxyConfig.defaults(), entry("dns", f, backends(a.address())).build());
        DatagramSocket c = client();
        assertThat(ask(c, f, "before")).isEqualTo("127.0.0.2:before");

        Backend notServing = Backend.of(a.address(), 1).withState(BackendState.NOT_SERVING);
        BackendSet serving = backends(b.address());
        table.apply(
                List.of(entry("dns", f, serving)
                        .endpoints(BackendSet.of(notServing, serving.get(0)))
                        .categorized(serving, null, true)
                        .build()),
                List.of());
        await().atMost(Duration.ofSeconds(5)).until(() -> evictions("backend_gone") == 1);
        assertThat(ask(c, f, "after")).isEqualTo("127.0.0.3:after");
    }

    @Test
    void idleFlowsExpire() throws Exception {
        UdpBackend b = closeLater(new UdpBackend("127.0.0.2", 0));
        Frontend f = udpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults().withUdpIdleTimeout(Duration.ofMillis(300)),
                entry("dns", f, backends(b.address())).build());
        assertThat(ask(client(), f, "x")).isEqualTo("127.0.0.2:x");
        assertThat(proxy.activeUdpFlows()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.activeUdpFlows() == 0);
        assertThat(evictions("idle")).isEqualTo(1);
    }

    @Test
    void newFlowsAreDroppedWhenTheFlowTableIsFull() throws Exception {
        UdpBackend b = closeLater(new UdpBackend("127.0.0.2", 0));
        Frontend f = udpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults().withUdpMaxFlows(1),
                entry("dns", f, backends(b.address())).build());
        DatagramSocket first = client();
        assertThat(ask(first, f, "a")).isEqualTo("127.0.0.2:a");

        DatagramSocket second = client();
        second.setSoTimeout(500);
        assertThatThrownBy(() -> ask(second, f, "b")).isInstanceOf(SocketTimeoutException.class);
        assertThat(evictions("full")).isEqualTo(1);
        assertThat(ask(first, f, "c")).isEqualTo("127.0.0.2:c");
    }

    @Test
    void portUnreachableEvictsTheFlowSoTheNextDatagramStartsAfresh() throws Exception {
        int port = Fixtures.freeUdpPort("127.0.0.2");
        Frontend f = udpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry("dns", f, backends(new InetSocketAddress(ip("127.0.0.2"), port)))
                        .build());
        DatagramSocket c = client();
        byte[] b = "lost".getBytes(StandardCharsets.US_ASCII);
        c.send(new DatagramPacket(b, b.length, address(f)));
        await().atMost(Duration.ofSeconds(5)).until(() -> evictions("unreachable") == 1);
        assertThat(proxy.activeUdpFlows()).isZero();

        closeLater(new UdpBackend("127.0.0.2", port));
        assertThat(ask(c, f, "found")).isEqualTo("127.0.0.2:found");
    }
    /** Datagrams vipd cannot forward are counted by reason (and logged at a bounded rate), never lost unseen. */
    @Test
    void unroutableDatagramsAreCountedByReason() throws Exception {
        Frontend empty = udpFrontend("127.0.0.1");
        Frontend unknown = udpFrontend("127.0.0.1");
        proxy(ProxyConfig.defaults(), entry("empty", empty, BackendSet.empty()).build());
        // A listener whose frontend is in no service port (as a frontend removed a moment ago would be).
        proxy.open(List.of(unknown));

        DatagramSocket c = client();
        byte[] b = "q".getBytes(StandardCharsets.US_ASCII);
        c.send(new DatagramPacket(b, b.length, address(empty)));
        c.send(new DatagramPacket(b, b.length, address(empty)));
        c.send(new DatagramPacket(b, b.length, address(unknown)));

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(unroutable("no_endpoint")).isEqualTo(2);
            assertThat(unroutable("no_frontend")).isEqualTo(1);
        });
        assertThat(unroutable("flow_table_full")).isZero();
        assertThat(proxy.activeUdpFlows()).isZero();
    }

    private double unroutable(String reason) {
        return registry.get("vipd.udp.datagrams.unroutable")
                .tag("reason", reason)
                .counter()
                .count();
    }
}
