package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.backends;
import static io.vipd.proxy.Fixtures.entry;
import static io.vipd.proxy.Fixtures.tcpFrontend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vipd.lb.Frontend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Many short connections leave no half-closed sockets behind (docs/netty.md §2.9). */
class ConnectionChurnTest extends ProxyTestBase {
    private static final int CONNECTIONS = 2000;

    @Test
    void shortConnectionsLeaveNoCloseWaitOrFinWait2Sockets() throws Exception {
        // Half the connections end with the client closing first, half with the backend closing first.
        TcpBackend echo = backend(TcpBackend.echo("127.0.0.2"));
        TcpBackend closer = backend(new TcpBackend("127.0.0.3", 0, s -> {
            s.getInputStream().read();
            s.getOutputStream().write('y');
        }));
        Frontend clientCloses = tcpFrontend("127.0.0.1");
        Frontend backendCloses = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry("echo", clientCloses, backends(echo.address())).build(),
                entry("closer", backendCloses, backends(closer.address())).build());

        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        for (int i = 0; i < CONNECTIONS && System.nanoTime() < deadline; i++) {
            try (var s = connect(i % 2 == 0 ? clientCloses : backendCloses)) {
                s.getOutputStream().write('x');
                assertThat(s.getInputStream().read()).isGreaterThanOrEqualTo(0);
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.activeConnections() == 0);
        List<Integer> proxyPorts = List.of(clientCloses.port(), backendCloses.port());
        List<Integer> backendPorts =
                List.of(echo.address().getPort(), closer.address().getPort());
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(halfClosedProxySockets(proxyPorts, backendPorts))
                        .isZero());
        assertThat(registry.get("vipd.connections").tag("result", "ok").counters().stream()
                        .mapToDouble(c -> c.count())
                        .sum())
                .isEqualTo(CONNECTIONS);
    }

    /**
     * Sockets in CLOSE_WAIT (08) or FIN_WAIT2 (05) that belong to the proxy: accepted on a frontend port, or
     * connected to a backend port. /proc/net/tcp lines read "sl local rem st ...", addresses as HEXIP:HEXPORT.
     */
    private static long halfClosedProxySockets(List<Integer> frontendPorts, List<Integer> backendPorts)
            throws IOException {
        return Files.readAllLines(Path.of("/proc/net/tcp")).stream()
                .skip(1)
                .map(String::trim)
                .map(l -> l.split("\\s+"))
                .filter(c -> c[3].equals("08") || c[3].equals("05"))
                .filter(c -> frontendPorts.contains(port(c[1])) || backendPorts.contains(port(c[2])))
                .count();
    }

    private static int port(String hexAddress) {
        return Integer.parseInt(hexAddress.substring(hexAddress.indexOf(':') + 1), 16);
    }
}
