package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.address;
import static io.vipd.proxy.Fixtures.backends;
import static io.vipd.proxy.Fixtures.entry;
import static io.vipd.proxy.Fixtures.ip;
import static io.vipd.proxy.Fixtures.tcpFrontend;
import static io.vipd.proxy.Fixtures.udpFrontend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.vipd.lb.Frontend;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The NIO fallback (no native epoll) forwards TCP with half-close and resets, and UDP. */
class NioTransportTest extends ProxyTestBase {

    @BeforeEach
    void forceNio() {
        System.setProperty("vipd.transport", "nio");
    }

    @AfterEach
    void restore() {
        System.clearProperty("vipd.transport");
    }

    @Test
    void tcpHalfCloseAndResetOverNio() throws Exception {
        TcpBackend half = backend(new TcpBackend("127.0.0.2", 0, s -> {
            byte[] request = s.getInputStream().readAllBytes();
            s.getOutputStream().write(new byte[200_000 + request.length]);
        }));
        TcpBackend rst = backend(new TcpBackend("127.0.0.3", 0, s -> {
            s.getInputStream().read();
            s.setSoLinger(true, 0);
            s.close();
        }));
        Frontend f1 = tcpFrontend("127.0.0.1");
        Frontend f2 = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry("half", f1, backends(half.address())).build(),
                entry("rst", f2, backends(rst.address())).build());

        try (Socket s = connect(f1)) {
            s.getOutputStream().write(new byte[7]);
            s.shutdownOutput();
            assertThat(s.getInputStream().readAllBytes()).hasSize(200_007);
        }
        try (Socket s = connect(f2)) {
            s.getOutputStream().write('x');
            assertThatThrownBy(() -> readUntilError(s.getInputStream())).isInstanceOf(SocketException.class);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.activeConnections() == 0);
    }

    @Test
    void udpOverNio() throws Exception {
        UdpBackend b = closeLater(new UdpBackend("127.0.0.2", 0));
        Frontend f = udpFrontend("127.0.0.1");
        proxy(ProxyConfig.defaults(), entry("dns", f, backends(b.address())).build());
        DatagramSocket c = closeLater(new DatagramSocket(new InetSocketAddress(ip("127.0.0.1"), 0)));
        c.setSoTimeout(3000);
        byte[] q = "q".getBytes(StandardCharsets.US_ASCII);
        c.send(new DatagramPacket(q, q.length, address(f)));
        DatagramPacket reply = new DatagramPacket(new byte[100], 100);
        c.receive(reply);
        assertThat(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.US_ASCII))
                .isEqualTo("127.0.0.2:q");
        assertThat(reply.getSocketAddress()).isEqualTo(address(f));
    }
}
