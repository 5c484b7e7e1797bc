package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.backends;
import static io.vipd.proxy.Fixtures.entry;
import static io.vipd.proxy.Fixtures.ip;
import static io.vipd.proxy.Fixtures.tcpFrontend;
import static io.vipd.proxy.Fixtures.udpFrontend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.vipd.lb.Frontend;
import io.vipd.lb.Protocol;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Opening and closing listeners, close() and shutdown(grace) against live connections. */
class ListenerTest extends ProxyTestBase {

    private void startEmpty() {
        proxy = new ProxyServer(table, ProxyConfig.defaults().withEventLoops(2), registry);
        proxy.start();
    }

    @Test
    void openIsAllOrNothingAndNamesTheBusyAddress() throws Exception {
        startEmpty();
        Frontend already = tcpFrontend("127.0.0.1");
        proxy.open(List.of(already));
        Frontend free = tcpFrontend("127.0.0.1");
        int busyPort = Fixtures.freeTcpPort("127.0.0.1");
        Frontend busy = new Frontend(ip("127.0.0.1"), busyPort, Protocol.TCP);
        try (ServerSocket squatter = new ServerSocket(busyPort, 1, ip("127.0.0.1"))) {
            assertThatThrownBy(() -> proxy.open(List.of(already, free, busy)))
                    .isInstanceOf(ListenerException.class)
                    .hasMessage("127.0.0.1:" + busyPort + "/TCP: Address already in use");
        }
        assertThat(proxy.openFrontends()).containsExactly(already);
        // The listener opened for "free" by the failed call is gone: the port can be bound again.
        try (ServerSocket again = new ServerSocket(free.port(), 1, free.address())) {
            assertThat(again.isBound()).isTrue();
        }
    }

    @Test
    void aBoundListenerQueuesConnectionsUntilItAccepts() throws Exception {
        startEmpty();
        TcpBackend b = backend(TcpBackend.echo("127.0.0.2"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy.bind(List.of(f));

        // Accepted by the kernel while the frontend is not yet in the table: it must wait, not be reset.
        try (Socket early = connect(f)) {
            early.getOutputStream().write("early\n".getBytes(StandardCharsets.US_ASCII));
            table.apply(List.of(entry("late", f, backends(b.address())).build()), List.of());
            proxy.accept(List.of(f));

            assertThat(firstLine(early)).isEqualTo("early");
            assertThat(proxy.openFrontends()).containsExactly(f);
        }
    }

    @Test
    void aSecondProxyCannotShareAnAddressThroughReusePort() throws Exception {
        startEmpty();
        Frontend tcp = tcpFrontend("127.0.0.1");
        Frontend udp = udpFrontend("127.0.0.1");
        proxy.open(List.of(tcp, udp));

        try (ProxyServer second = new ProxyServer(
                new io.vipd.lb.ServiceTable(),
                ProxyConfig.defaults().withEventLoops(2),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
            second.start();
            assertThatThrownBy(() -> second.open(List.of(tcp)))
                    .isInstanceOf(ListenerException.class)
                    .hasMessage("127.0.0.1:" + tcp.port() + "/TCP: Address already in use");
            assertThatThrownBy(() -> second.open(List.of(udp)))
                    .isInstanceOf(ListenerException.class)
                    .hasMessage("127.0.0.1:" + udp.port() + "/UDP: Address already in use");
            assertThat(second.openFrontends()).isEmpty();
        }
    }

    @Test
    void udpBindFailureNamesTheAddress() throws Exception {
        startEmpty();
        Frontend udp = udpFrontend("127.0.0.1");
        try (DatagramSocket squatter = new DatagramSocket(new InetSocketAddress(udp.address(), udp.port()))) {
            assertThatThrownBy(() -> proxy.open(List.of(udp)))
                    .isInstanceOf(ListenerException.class)
                    .hasMessage("127.0.0.1:" + udp.port() + "/UDP: Address already in use");
        }
        assertThat(proxy.openFrontends()).isEmpty();
        proxy.open(List.of(udp));
        assertThat(proxy.openFrontends()).isEqualTo(Set.of(udp));
    }

    @Test
    void closingAListenerKeepsEstablishedConnections() throws Exception {
        TcpBackend b = backend(TcpBackend.echo("127.0.0.2"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(ProxyConfig.defaults(), entry("keep", f, backends(b.address())).build());

        try (Socket s = connect(f)) {
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            s.getOutputStream().write("one\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).isEqualTo("one");

            proxy.close(List.of(f));
            assertThat(proxy.openFrontends()).isEmpty();
            assertThatThrownBy(() -> connect(f).close()).isInstanceOf(ConnectException.class);

            s.getOutputStream().write("two\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).isEqualTo("two");
        }
    }

    @Test
    void shutdownWaitsForEstablishedConnectionsToFinish() throws Exception {
        TcpBackend b = backend(TcpBackend.echo("127.0.0.2"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(ProxyConfig.defaults(), entry("drain", f, backends(b.address())).build());

        CompletableFuture<Void> done;
        try (Socket s = connect(f)) {
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            s.getOutputStream().write("one\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).isEqualTo("one");

            done = proxy.shutdown(Duration.ofSeconds(30));
            assertThatThrownBy(() -> connect(f).close()).isInstanceOf(ConnectException.class);
            s.getOutputStream().write("two\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).isEqualTo("two");
            assertThat(done).isNotDone();
        }
        await().atMost(Duration.ofSeconds(5)).until(done::isDone);
        assertThat(proxy.activeConnections()).isZero();
    }

    @Test
    void closeChainedOntoShutdownDoesNotBlockAnEventLoop() throws Exception {
        TcpBackend b = backend(TcpBackend.echo("127.0.0.2"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(ProxyConfig.defaults(), entry("chain", f, backends(b.address())).build());
        try (Socket s = connect(f)) {
            s.getOutputStream().write("x\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(firstLine(s)).isEqualTo("x");
        }
        CompletableFuture<Void> closed = proxy.shutdown(Duration.ofSeconds(5)).whenComplete((v, e) -> proxy.close());
        await().atMost(Duration.ofSeconds(10)).until(closed::isDone);
        assertThat(closed).isCompleted();
    }

    @Test
    void shutdownClosesWhatIsLeftWhenTheGraceRunsOut() throws Exception {
        TcpBackend b = backend(TcpBackend.echo("127.0.0.2"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(ProxyConfig.defaults(), entry("grace", f, backends(b.address())).build());

        try (Socket s = connect(f)) {
            s.getOutputStream().write("x\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(firstLine(s)).isEqualTo("x");
            CompletableFuture<Void> done = proxy.shutdown(Duration.ofMillis(200));
            await().atMost(Duration.ofSeconds(5)).until(done::isDone);
            assertThat(proxy.activeConnections()).isZero();
            assertThatThrownBy(() -> {
                        if (s.getInputStream().read() < 0) {
                            throw new java.net.SocketException("closed");
                        }
                    })
                    .isInstanceOf(java.net.SocketException.class);
        }
    }
}
