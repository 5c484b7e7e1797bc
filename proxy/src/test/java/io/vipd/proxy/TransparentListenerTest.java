package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.backends;
import static io.vipd.proxy.Fixtures.entry;
import static io.vipd.proxy.Fixtures.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.vipd.lb.Frontend;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.testing.Requires;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Node mode listeners without nftables: traffic sent straight to the transparent listener's own address has
 * that address as its original destination, which is enough to exercise the lookup, the NodePort hook,
 * IP_TRANSPARENT egress (the backend sees the client's address) and the UDP reply socket.
 */
@Requires(root = true, epoll = true) // IP_TRANSPARENT needs CAP_NET_ADMIN and epoll
class TransparentListenerTest extends ProxyTestBase {

    private void startTransparent(ServicePortEntry e) {
        table.apply(List.of(e), List.of());
        proxy = new ProxyServer(
                table, configure(ProxyConfig.defaults().withEventLoops(2).withTransparent(true)), registry);
        proxy.start();
    }

    @Test
    void tcpByOriginalDestinationWithTheClientAddressTowardTheBackend() throws Exception {
        CompletableFuture<InetSocketAddress> seenFrom = new CompletableFuture<>();
        TcpBackend b = backend(new TcpBackend("127.0.0.2", 0, s -> {
            seenFrom.complete((InetSocketAddress) s.getRemoteSocketAddress());
            s.getOutputStream().write("hi\n".getBytes(StandardCharsets.US_ASCII));
        }));
        int port = Fixtures.freeTcpPort("127.0.0.1");
        Frontend f = new Frontend(ip("127.0.0.1"), port, Protocol.TCP);
        startTransparent(entry("t", f, backends(b.address())).build());
        proxy.openTransparent(new InetSocketAddress(ip("127.0.0.1"), port), null);

        try (Socket s = connect(f, "127.0.0.7")) {
            assertThat(firstLine(s)).isEqualTo("hi");
        }
        assertThat(seenFrom.get(5, TimeUnit.SECONDS).getAddress()).isEqualTo(ip("127.0.0.7"));
    }

    @Test
    void underTheNodePolicyTheBackendSeesTheNodeAddress() throws Exception {
        CompletableFuture<InetSocketAddress> seenFrom = new CompletableFuture<>();
        TcpBackend b = backend(new TcpBackend("127.0.0.2", 0, s -> {
            seenFrom.complete((InetSocketAddress) s.getRemoteSocketAddress());
            s.getOutputStream().write("hi\n".getBytes(StandardCharsets.US_ASCII));
        }));
        int port = Fixtures.freeTcpPort("127.0.0.1");
        Frontend f = new Frontend(ip("127.0.0.1"), port, Protocol.TCP);
        startTransparent(entry("t", f, backends(b.address())).build());
        proxy.setSourceIpPolicy(SourceIpPolicy.NODE);
        proxy.openTransparent(new InetSocketAddress(ip("127.0.0.1"), port), null);

        try (Socket s = connect(f, "127.0.0.7")) {
            assertThat(firstLine(s)).isEqualTo("hi");
        }
        assertThat(seenFrom.get(5, TimeUnit.SECONDS).getAddress()).isNotEqualTo(ip("127.0.0.7"));
    }

    @Test
    void udpBackendSeesTheClientAddressUnderTheClientPolicyAndTheNodeAddressOtherwise() throws Exception {
        DatagramSocket backend = closeLater(new DatagramSocket(new InetSocketAddress(ip("127.0.0.2"), 0)));
        Thread echo = new Thread(
                () -> {
                    byte[] buf = new byte[100];
                    while (!backend.isClosed()) {
                        try {
                            DatagramPacket p = new DatagramPacket(buf, buf.length);
                            backend.receive(p);
                            byte[] who = p.getAddress().getHostAddress().getBytes(StandardCharsets.US_ASCII);
                            backend.send(new DatagramPacket(who, who.length, p.getSocketAddress()));
                        } catch (java.io.IOException e) {
                            return;
                        }
                    }
                },
                "test-udp-peer-echo");
        echo.setDaemon(true);
        echo.start();
        int port = Fixtures.freeUdpPort("127.0.0.1");
        Frontend f = new Frontend(ip("127.0.0.1"), port, Protocol.UDP);
        startTransparent(entry("tu", f, backends((InetSocketAddress) backend.getLocalSocketAddress()))
                .build());
        proxy.openTransparent(null, new InetSocketAddress(ip("127.0.0.1"), port));

        assertThat(askFrom("127.0.0.7", f)).isEqualTo("127.0.0.7");
        proxy.setSourceIpPolicy(SourceIpPolicy.NODE);
        // A new flow (another client) connects from the node's address.
        assertThat(askFrom("127.0.0.8", f)).isNotEqualTo("127.0.0.8").startsWith("127.");
    }

    private String askFrom(String clientIp, Frontend f) throws Exception {
        DatagramSocket c = closeLater(new DatagramSocket(new InetSocketAddress(ip(clientIp), 0)));
        c.setSoTimeout(3000);
        byte[] q = "who".getBytes(StandardCharsets.US_ASCII);
        c.send(new DatagramPacket(q, q.length, new InetSocketAddress(f.address(), f.port())));
        DatagramPacket reply = new DatagramPacket(new byte[100], 100);
        c.receive(reply);
        return new String(reply.getData(), 0, reply.getLength(), StandardCharsets.US_ASCII);
    }

    @Test
    void nodePortIsFoundByPortOnANodeAddress() throws Exception {
        TcpBackend b = backend(TcpBackend.identifying("127.0.0.2"));
        int port = Fixtures.freeTcpPort("127.0.0.1");
        ServicePortEntry e = entry("np", new Frontend(ip("127.0.0.1"), 1, Protocol.TCP), backends(b.address()))
                .frontends(List.of(new ServiceFrontend(Frontend.nodePort(port, Protocol.TCP), FrontendType.NODE_PORT)))
                .build();
        startTransparent(e);
        proxy.setNodeAddresses(a -> a.equals(ip("127.0.0.1")));
        proxy.openTransparent(new InetSocketAddress(ip("127.0.0.1"), port), null);

        assertThat(whoAnswers(new Frontend(ip("127.0.0.1"), port, Protocol.TCP), null))
                .isEqualTo("127.0.0.2");
    }

    @Test
    void udpRepliesComeFromTheOriginalDestination() throws Exception {
        UdpBackend b = closeLater(new UdpBackend("127.0.0.2", 0));
        int port = Fixtures.freeUdpPort("127.0.0.1");
        Frontend f = new Frontend(ip("127.0.0.1"), port, Protocol.UDP);
        startTransparent(entry("tu", f, backends(b.address())).build());
        proxy.openTransparent(null, new InetSocketAddress(ip("127.0.0.1"), port));

        DatagramSocket c = closeLater(new DatagramSocket(new InetSocketAddress(ip("127.0.0.1"), 0)));
        c.setSoTimeout(3000);
        for (String q : List.of("one", "two")) {
            byte[] bytes = q.getBytes(StandardCharsets.US_ASCII);
            c.send(new DatagramPacket(bytes, bytes.length, new InetSocketAddress(ip("127.0.0.1"), port)));
            DatagramPacket reply = new DatagramPacket(new byte[100], 100);
            c.receive(reply);
            assertThat(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.US_ASCII))
                    .isEqualTo("127.0.0.2:" + q);
            assertThat(reply.getSocketAddress()).isEqualTo(new InetSocketAddress(ip("127.0.0.1"), port));
        }
        assertThat(proxy.activeUdpFlows()).isEqualTo(1);
    }
}
