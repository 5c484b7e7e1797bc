package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.backends;
import static io.vipd.proxy.Fixtures.entry;
import static io.vipd.proxy.Fixtures.ip;
import static io.vipd.proxy.Fixtures.tcpFrontend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vipd.lb.EgressAllowance;
import io.vipd.lb.EgressFilter;
import io.vipd.lb.Frontend;
import io.vipd.lb.Protocol;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The node-mode egress hook: a restricted client reaches only what its policy allows, or is refused. */
class EgressFilterTest extends ProxyTestBase {
    private static final String ONLY_B = "127.0.1.10";
    private static final String NOTHING = "127.0.1.11";
    private static final String FREE = "127.0.1.12";

    private Frontend start() throws Exception {
        TcpBackend a = backend(TcpBackend.identifying("127.0.0.2"));
        TcpBackend b = backend(TcpBackend.identifying("127.0.0.3"));
        TcpBackend c = backend(TcpBackend.identifying("127.0.0.4"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry("web", f, backends(a.address(), b.address(), c.address())).build());
        InetAddress bIp = ip("127.0.0.3");
        EgressAllowance onlyB = (dst, protocol, port) -> protocol == Protocol.TCP && dst.equals(bIp);
        Map<InetAddress, EgressAllowance> clients = Map.of(ip(ONLY_B), onlyB, ip(NOTHING), (dst, p, port) -> false);
        proxy.setEgressFilter(clients::get);
        return f;
    }

    @Test
    void aRestrictedClientReachesOnlyTheBackendsItsPolicyAllows() throws Exception {
        Frontend f = start();
        Map<String, Integer> restricted = new HashMap<>();
        Map<String, Integer> free = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            restricted.merge(whoAnswers(f, ONLY_B), 1, Integer::sum);
            free.merge(whoAnswers(f, FREE), 1, Integer::sum);
        }
        assertThat(restricted).containsOnlyKeys("127.0.0.3");
        assertThat(free.keySet()).hasSizeGreaterThan(1);
        assertThat(refusedByPolicy()).isZero();
    }

    @Test
    void aClientAllowedNoBackendIsResetAndCounted() throws Exception {
        Frontend f = start();
        assertThatThrownBy(() -> {
                    try (Socket s = connect(f, NOTHING)) {
                        s.setSoTimeout(2000);
                        s.getOutputStream().write('x');
                        int r = s.getInputStream().read();
                        throw new AssertionError(r < 0 ? "orderly EOF instead of a reset" : "got data: " + r);
                    }
                })
                .isInstanceOf(SocketException.class);
        assertThat(refusedByPolicy()).isEqualTo(1);
        assertThat(registry.get("vipd.connections")
                        .tag("result", "rejected")
                        .counter()
                        .count())
                .as("a policy refusal is not counted as a REJECT route")
                .isZero();
    }

    @Test
    void replacingTheFilterAppliesToTheNextConnection() throws Exception {
        Frontend f = start();
        assertThat(whoAnswers(f, ONLY_B)).isEqualTo("127.0.0.3");
        proxy.setEgressFilter(EgressFilter.NONE);
        Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < 30; i++) {
            seen.add(whoAnswers(f, NOTHING));
        }
        assertThat(seen).hasSizeGreaterThan(1);
    }

    private double refusedByPolicy() {
        return registry.get("vipd.connections.refused.by.policy").counter().count();
    }
}
