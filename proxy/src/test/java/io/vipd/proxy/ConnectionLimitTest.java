package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.backends;
import static io.vipd.proxy.Fixtures.entry;
import static io.vipd.proxy.Fixtures.tcpFrontend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.vipd.lb.EdgeOptions;
import io.vipd.lb.Frontend;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** maxConnections (HAProxy's maxconn) and maxConnectionsPerBackend (a server's maxconn). */
class ConnectionLimitTest extends ProxyTestBase {

    private static EdgeOptions limits(int max, int perBackend) {
        return new EdgeOptions(max, perBackend, false, List.of());
    }

    @Test
    void fiveClientsOverMaxConnectionsThreeWaitUntilOneCloses() throws Exception {
        TcpBackend b = backend(TcpBackend.echo("127.0.0.2"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry("limited", f, backends(b.address())).edge(limits(3, 0)).build());

        List<Socket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                Socket s = closeLater(connect(f)); // the kernel completes the handshake from its backlog
                s.getOutputStream().write(("client" + i + "\n").getBytes(StandardCharsets.US_ASCII));
                clients.add(s);
            }
            List<Integer> answered = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                clients.get(i).setSoTimeout(300);
                try {
                    assertThat(firstLine(clients.get(i))).isEqualTo("client" + i);
                    answered.add(i);
                } catch (java.net.SocketTimeoutException e) {
                    // held: not accepted, or accepted and waiting unread
                }
            }
            assertThat(answered).hasSize(3);
            assertThat(b.accepted.get()).isEqualTo(3);
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> b.accepted.get() == 3);

            clients.get(answered.get(0)).close();
            await().atMost(Duration.ofSeconds(5)).until(() -> b.accepted.get() == 4);
            List<Integer> held = new ArrayList<>(List.of(0, 1, 2, 3, 4));
            held.removeAll(answered);
            int servedNow = -1;
            for (int i : held) {
                clients.get(i).setSoTimeout(2000);
                try {
                    assertThat(firstLine(clients.get(i))).isEqualTo("client" + i);
                    servedNow = i;
                    break;
                } catch (java.net.SocketTimeoutException e) {
                    // the other one was admitted
                }
            }
            assertThat(servedNow).isNotEqualTo(-1);
            assertThat(b.accepted.get()).isEqualTo(4);
        } finally {
            for (Socket s : clients) {
                s.close();
            }
        }
        // Everything closed: the listeners accept again, and the limit is free for three more.
        for (int i = 0; i < 3; i++) {
            try (Socket s = connect(f)) {
                s.getOutputStream().write("again\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(firstLine(s)).isEqualTo("again");
            }
        }
    }

    @Test
    void aFullBackendIsSkippedForTheNext() throws Exception {
        List<TcpBackend> bs = new ArrayList<>();
        for (int i = 2; i <= 5; i++) {
            bs.add(backend(TcpBackend.identifying("127.0.0." + i)));
        }
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry(
                                "per-backend",
                                f,
                                backends(bs.stream().map(TcpBackend::address).toArray(InetSocketAddress[]::new)))
                        .edge(limits(0, 1))
                        .build());

        List<Socket> clients = new ArrayList<>();
        try {
            Set<String> answered = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                Socket s = connect(f);
                clients.add(s);
                answered.add(firstLine(s));
            }
            // Each found the backends before it full and went to the next in its preference order.
            assertThat(answered).containsExactlyInAnyOrder("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5");
            assertThat(bs).allSatisfy(b -> assertThat(b.accepted.get()).isEqualTo(1));
        } finally {
            for (Socket s : clients) {
                s.close();
            }
        }
    }

    @Test
    void everyBackendFullWaitsForASlotThenResetsAfterTheConnectTimeout() throws Exception {
        TcpBackend a = backend(TcpBackend.identifying("127.0.0.2"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults().withConnectTimeout(Duration.ofSeconds(2)),
                entry("full", f, backends(a.address())).edge(limits(0, 1)).build());

        Socket first = connect(f);
        assertThat(firstLine(first)).isEqualTo("127.0.0.2");
        try (Socket waiting = connect(f)) {
            waiting.getOutputStream().write("queued\n".getBytes(StandardCharsets.US_ASCII));
            first.close();
            // The slot freed: the waiting connection gets it.
            java.io.BufferedReader in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(waiting.getInputStream(), StandardCharsets.US_ASCII));
            assertThat(in.readLine()).isEqualTo("127.0.0.2");
            // What it sent while waiting was kept and relayed.
            assertThat(in.readLine()).isEqualTo("queued");
            assertThat(a.accepted.get()).isEqualTo(2);

            try (Socket third = connect(f)) {
                // Nothing frees a slot: reset after the connect timeout, never connected to the backend.
                assertThatThrownBy(() -> readUntilError(third.getInputStream())).isInstanceOf(SocketException.class);
            }
            assertThat(a.accepted.get()).isEqualTo(2);
        }
    }
}
