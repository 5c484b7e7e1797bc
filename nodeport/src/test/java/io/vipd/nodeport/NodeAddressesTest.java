package io.vipd.nodeport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vipd.lb.Addresses;
import io.vipd.nodeport.NodeAddresses.InterfaceAddress;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class NodeAddressesTest {
    private static final List<InterfaceAddress> LOCAL = List.of(
            ia("lo", "127.0.0.1"),
            ia("lo", "::1"),
            ia("eth0", "198.18.0.5"),
            ia("eth0", "fe80::1"),
            ia("eth0", "2001:db8::5"),
            ia("eth1", "198.19.7.1"));

    record Case(String name, List<String> setting, List<String> primaries, List<String> expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("empty means primary", List.of(), List.of("198.18.0.5"), List.of("198.18.0.5")),
                new Case(
                        "primary keyword",
                        List.of("primary"),
                        List.of("198.18.0.5", "2001:db8::5"),
                        List.of("198.18.0.5", "2001:db8::5")),
                new Case(
                        "cidr selects matching interfaces",
                        List.of("198.19.0.0/16"),
                        List.of("198.18.0.5"),
                        List.of("198.19.7.1")),
                new Case(
                        "cidr plus primary",
                        List.of("198.19.0.0/16,primary"),
                        List.of("198.18.0.5"),
                        List.of("198.19.7.1", "198.18.0.5")),
                new Case(
                        "localhost is never selected",
                        List.of("127.0.0.0/8", "198.18.0.0/15"),
                        List.of(),
                        List.of("198.18.0.5", "198.19.7.1")),
                new Case("v6 cidr", List.of("2001:db8::/64"), List.of(), List.of("2001:db8::5")),
                new Case("nothing matches", List.of("198.20.0.0/16"), List.of(), List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void select(Case c) {
        List<InetAddress> primaries =
                c.primaries().stream().map(Addresses::parseIp).toList();
        List<InetAddress> got = NodeAddresses.select(NodePortAddresses.parse(c.setting()), LOCAL, primaries);
        assertThat(got.stream().map(Addresses::ipString).toList()).isEqualTo(c.expected());
    }

    @Test
    void rejectsBadValues() {
        assertThatThrownBy(() -> NodePortAddresses.parse(List.of("198.18.0.1")))
                .hasMessageContaining("198.18.0.1")
                .hasMessageContaining("neither a CIDR");
        assertThatThrownBy(() -> NodePortAddresses.parse(List.of("198.18.0.0/40")))
                .hasMessageContaining("198.18.0.0/40");
    }

    @Test
    void primaryPrefersTheDefaultRouteInterface() {
        assertThat(NodeAddresses.primary(LOCAL, Optional.of("eth1"), false)).contains(ip("198.19.7.1"));
        assertThat(NodeAddresses.primary(LOCAL, Optional.empty(), false)).contains(ip("198.18.0.5"));
        assertThat(NodeAddresses.primary(LOCAL, Optional.of("eth0"), true)).contains(ip("2001:db8::5"));
        assertThat(NodeAddresses.primary(List.of(ia("lo", "127.0.0.1")), Optional.of("lo"), false))
                .isEmpty();
    }

    @Test
    void parsesProcRoutes() {
        List<String> v4 = List.of(
                "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
                "eth1\t00000000\t010012C6\t0003\t0\t0\t200\t00000000\t0\t0\t0",
                "eth0\t00000000\t010012C6\t0003\t0\t0\t100\t00000000\t0\t0\t0",
                "eth0\t000012C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0");
        assertThat(NodeAddresses.defaultInterfaceV4(v4)).contains("eth0");
        List<String> v6 = List.of(
                "20010db8000000000000000000000000 40 00000000000000000000000000000000 00 "
                        + "00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth1",
                "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
                        + "fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth0",
                "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
                        + "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200 lo");
        assertThat(NodeAddresses.defaultInterfaceV6(v6)).contains("eth0");
        assertThat(NodeAddresses.defaultInterfaceV4(v4.subList(0, 1))).isEmpty();
    }

    @Test
    void discoversLoopback() {
        assertThat(NodeAddresses.discover())
                .extracting(InterfaceAddress::address)
                .contains(ip("127.0.0.1"));
    }

    private static InterfaceAddress ia(String name, String ip) {
        return new InterfaceAddress(name, ip(ip));
    }

    private static InetAddress ip(String s) {
        return Addresses.parseIp(s);
    }
}
