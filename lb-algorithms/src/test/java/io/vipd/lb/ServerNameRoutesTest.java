package io.vipd.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Services sharing a listen address by TLS server name, in the table and in the routes it publishes. */
class ServerNameRoutesTest {
    private static final Frontend SHARED = new Frontend(InetAddress.getLoopbackAddress(), 443, Protocol.TCP);
    private static final InetSocketAddress AT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 443);

    private static ServicePortEntry service(String name, String... serverNames) {
        return ServicePortEntry.builder(ServicePortName.of("default", name, "", Protocol.TCP))
                .frontends(List.of(new ServiceFrontend(SHARED, FrontendType.LOAD_BALANCER)))
                .edge(new EdgeOptions(0, 0, false, List.of(serverNames)))
                .build();
    }

    private static String pick(ServiceTable table, String serverName) {
        FrontendEntry fe = table.lookup(Protocol.TCP, AT).serverNames().select(serverName);
        return fe == null ? null : fe.entry().name().service().name();
    }

    @Test
    void exactThenLongestWildcardThenTheServiceWithoutNames() {
        ServiceTable table = new ServiceTable();
        table.apply(
                List.of(
                        service("exact", "www.example.org"),
                        service("wide", "*.example.org"),
                        service("narrow", "*.eu.example.org"),
                        service("rest")),
                List.of());

        assertThat(pick(table, "www.example.org")).isEqualTo("exact");
        assertThat(pick(table, "WWW.Example.ORG")).isEqualTo("exact");
        assertThat(pick(table, "shop.example.org")).isEqualTo("wide");
        assertThat(pick(table, "shop.eu.example.org")).isEqualTo("narrow");
        assertThat(pick(table, "a.b.eu.example.org")).isEqualTo("narrow");
        assertThat(pick(table, "example.org")).isEqualTo("rest");
        assertThat(pick(table, "other.test")).isEqualTo("rest");
        assertThat(pick(table, null)).isEqualTo("rest");
    }

    @Test
    void removingOneSharingServiceKeepsTheOthersRouted() {
        ServiceTable table = new ServiceTable();
        ServicePortEntry a = service("a", "a.test");
        ServicePortEntry b = service("b", "b.test");
        table.apply(List.of(a, b), List.of());

        table.apply(List.of(), List.of(a.name()));
        assertThat(pick(table, "b.test")).isEqualTo("b");
        assertThat(pick(table, "a.test")).isNull();

        table.apply(List.of(), List.of(b.name()));
        assertThat(table.lookup(Protocol.TCP, AT)).isNull();
    }

    @Test
    void anAddressWithoutServerNamesKeepsItsPlainEntry() {
        ServiceTable table = new ServiceTable();
        table.apply(List.of(service("plain")), List.of());

        FrontendEntry fe = table.lookup(Protocol.TCP, AT);
        assertThat(fe.serverNames()).isNull();
        assertThat(fe.entry().name().service().name()).isEqualTo("plain");
    }
}
