package io.vipd.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ServiceTableTest {
    private static final ServicePortName WEB = ServicePortName.of("ns", "web", "http", Protocol.TCP);
    private static final ServicePortName API = ServicePortName.of("ns", "api", "", Protocol.TCP);
    private static final ServicePortName DNS = ServicePortName.of("kube-system", "dns", "dns", Protocol.UDP);

    private final ServiceTable table = new ServiceTable();
    private final List<Set<ServicePortName>> notified = new ArrayList<>();

    private static ServiceFrontend clusterIp(String ip, int port, Protocol p) {
        return new ServiceFrontend(new Frontend(Addresses.parseIp(ip), port, p), FrontendType.CLUSTER_IP);
    }

    private static ServiceFrontend nodePort(int port, Protocol p) {
        return new ServiceFrontend(Frontend.nodePort(port, p), FrontendType.NODE_PORT);
    }

    private static ServicePortEntry entry(ServicePortName name, List<ServiceFrontend> frontends, String... backends) {
        List<Backend> bs = new ArrayList<>();
        for (String b : backends) {
            bs.add(Backend.parse(b));
        }
        return ServicePortEntry.builder(name)
                .frontends(frontends)
                .backends(BackendSet.of(bs))
                .build();
    }

    private static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(Addresses.parseIp(ip), port);
    }

    @Test
    void applyInstallsLooksUpAndRemoves() {
        table.addListener((t, changed) -> notified.add(changed));
        ServicePortEntry web = entry(
                WEB,
                List.of(clusterIp("10.96.0.10", 80, Protocol.TCP), nodePort(30080, Protocol.TCP)),
                "10.0.0.1:8080");
        ServicePortEntry dns = entry(DNS, List.of(clusterIp("10.96.0.10", 53, Protocol.UDP)), "10.0.0.5:53");
        assertThat(table.apply(List.of(web, dns), List.of())).containsExactlyInAnyOrder(WEB, DNS);
        assertThat(table.generation()).isEqualTo(1);
        assertThat(table.size()).isEqualTo(2);

        FrontendEntry hit = table.lookup(Protocol.TCP, at("10.96.0.10", 80));
        assertThat(hit.entry()).isSameAs(web);
        assertThat(hit.type()).isEqualTo(FrontendType.CLUSTER_IP);
        assertThat(table.lookup(Protocol.UDP, at("10.96.0.10", 80))).isNull();
        assertThat(table.lookup(Protocol.UDP, at("10.96.0.10", 53)).entry()).isSameAs(dns);
        assertThat(table.lookupNodePort(Protocol.TCP, 30080).type()).isEqualTo(FrontendType.NODE_PORT);
        assertThat(table.lookupNodePort(Protocol.UDP, 30080)).isNull();
        assertThat(table.entries()).extracting(ServicePortEntry::name).containsExactly(DNS, WEB);

        assertThat(table.apply(List.of(), List.of(WEB))).containsExactly(WEB);
        assertThat(table.lookup(Protocol.TCP, at("10.96.0.10", 80))).isNull();
        assertThat(table.lookupNodePort(Protocol.TCP, 30080)).isNull();
        assertThat(table.get(WEB)).isNull();
        assertThat(table.generation()).isEqualTo(2);
        assertThat(notified).containsExactly(Set.of(WEB, DNS), Set.of(WEB));
    }

    @Test
    void replacingAnEntryDropsItsOldFrontendsAndLeavesOthersUntouched() {
        ServicePortEntry web = entry(
                WEB,
                List.of(clusterIp("10.96.0.10", 80, Protocol.TCP), nodePort(30080, Protocol.TCP)),
                "10.0.0.1:8080");
        ServicePortEntry api = entry(API, List.of(clusterIp("10.96.0.20", 443, Protocol.TCP)), "10.0.0.2:8443");
        table.apply(List.of(web, api), List.of());
        FrontendEntry apiBefore = table.lookup(Protocol.TCP, at("10.96.0.20", 443));

        ServicePortEntry web2 =
                entry(WEB, List.of(clusterIp("10.96.0.10", 8080, Protocol.TCP)), "10.0.0.1:8080", "10.0.0.3:8080");
        assertThat(table.apply(List.of(web2), List.of())).containsExactly(WEB);
        assertThat(table.lookup(Protocol.TCP, at("10.96.0.10", 80))).isNull();
        assertThat(table.lookupNodePort(Protocol.TCP, 30080)).isNull();
        assertThat(table.lookup(Protocol.TCP, at("10.96.0.10", 8080)).entry()).isSameAs(web2);
        // The other service's binding is the very same object: it was not visited.
        assertThat(table.lookup(Protocol.TCP, at("10.96.0.20", 443))).isSameAs(apiBefore);
        assertThat(table.get(API)).isSameAs(api);
    }

    @Test
    void reapplyingTheSameEntryIsANoOp() {
        ServicePortEntry web = entry(WEB, List.of(clusterIp("10.96.0.10", 80, Protocol.TCP)), "10.0.0.1:8080");
        table.addListener((t, changed) -> notified.add(changed));
        table.apply(List.of(web), List.of());
        assertThat(table.apply(List.of(web), List.of())).isEmpty();
        assertThat(table.apply(List.of(), List.of(API))).isEmpty();
        assertThat(table.apply(List.of(), List.of())).isEmpty();
        assertThat(table.generation()).isEqualTo(1);
        assertThat(notified).hasSize(1);
    }

    @Test
    void aFrontendMovesBetweenPortsInEitherOrder() {
        ServiceFrontend shared = clusterIp("10.96.0.30", 80, Protocol.TCP);
        ServicePortEntry web = entry(WEB, List.of(shared), "10.0.0.1:8080");
        table.apply(List.of(web), List.of());

        // API takes the frontend before WEB's update drops it.
        ServicePortEntry api = entry(API, List.of(shared), "10.0.0.2:8080");
        ServicePortEntry webWithout = entry(WEB, List.of(clusterIp("10.96.0.31", 80, Protocol.TCP)), "10.0.0.1:8080");
        table.apply(List.of(api, webWithout), List.of());
        assertThat(table.lookup(Protocol.TCP, at("10.96.0.30", 80)).entry()).isSameAs(api);

        // And back, with the update that drops it first.
        ServicePortEntry apiWithout = entry(API, List.of(), "10.0.0.2:8080");
        table.apply(List.of(apiWithout, web), List.of());
        assertThat(table.lookup(Protocol.TCP, at("10.96.0.30", 80)).entry()).isSameAs(web);

        // Removing the former owner does not unbind the frontend from its new owner.
        table.apply(List.of(), List.of(API));
        assertThat(table.lookup(Protocol.TCP, at("10.96.0.30", 80)).entry()).isSameAs(web);
    }

    @Test
    void nodePortIndexFollowsOwnership() {
        ServicePortEntry web = entry(WEB, List.of(nodePort(30080, Protocol.TCP)), "10.0.0.1:8080");
        ServicePortEntry api = entry(API, List.of(nodePort(30081, Protocol.TCP)), "10.0.0.2:8080");
        table.apply(List.of(web, api), List.of());
        assertThat(table.lookupNodePort(Protocol.TCP, 30080).entry()).isSameAs(web);
        assertThat(table.lookupNodePort(Protocol.TCP, 30081).entry()).isSameAs(api);
        table.apply(List.of(), List.of(WEB));
        assertThat(table.lookupNodePort(Protocol.TCP, 30080)).isNull();
        assertThat(table.lookupNodePort(Protocol.TCP, 30081).entry()).isSameAs(api);
    }

    @Test
    void leastConnectionsPickersAreReusedLikeAnyOtherAndHoldNoCounts() {
        BackendSet backends = BackendSet.of(Backend.parse("10.0.0.1:80"), Backend.parse("10.0.0.2:80"));
        ServicePortEntry lc = ServicePortEntry.builder(WEB)
                .algorithm(Algorithm.LEAST_CONNECTIONS)
                .frontends(List.of(clusterIp("10.96.0.10", 80, Protocol.TCP)))
                .backends(backends)
                .build();
        table.apply(List.of(lc), List.of());
        assertThat(table.get(WEB))
                .as("the table installs the entry it was given")
                .isSameAs(lc);
        ServicePortEntry lcAgain = lc.toBuilder().build(lc);
        assertThat(lcAgain.internalRoute()).isSameAs(lc.internalRoute());
        Picker picker = lc.internalRoute().picker();
        for (int i = 0; i < 20; i++) {
            assertThat(picker.pick(i, key -> key.equals("10.0.0.1:80") ? 1 : 0)).isEqualTo(1);
            assertThat(picker.pick(i, key -> key.equals("10.0.0.2:80") ? 1 : 0)).isEqualTo(0);
        }
    }

    @Test
    void anExplicitMaglevSizeIsValidatedKeptByToBuilderAndRebuildsPickersWhenChanged() {
        BackendSet backends = BackendSet.of(Backend.parse("10.0.0.1:80"), Backend.parse("10.0.0.2:80"));
        ServicePortEntry small = ServicePortEntry.builder(WEB)
                .backends(backends)
                .maglevTableSize(251)
                .build();
        assertThat(small.maglevTableSize()).isEqualTo(251);
        assertThat(small.toBuilder().build(small).internalRoute()).isSameAs(small.internalRoute());
        ServicePortEntry large = small.toBuilder().maglevTableSize(65537).build(small);
        assertThat(large.internalRoute()).isNotSameAs(small.internalRoute());
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> ServicePortEntry.builder(WEB).maglevTableSize(1000))
                .hasMessageContaining("not a prime");
    }

    @Test
    void entriesKeepPickersWhenBackendsAreUnchanged() {
        ServicePortEntry web = entry(WEB, List.of(clusterIp("10.96.0.10", 80, Protocol.TCP)), "10.0.0.1:8080");
        ServicePortEntry sameBackends = web.toBuilder()
                .frontends(List.of(clusterIp("10.96.0.10", 81, Protocol.TCP)))
                .build(web);
        assertThat(sameBackends.internalRoute()).isSameAs(web.internalRoute());
        ServicePortEntry otherBackends = web.toBuilder()
                .backends(BackendSet.of(Backend.parse("10.0.0.2:8080")))
                .build(web);
        assertThat(otherBackends.internalRoute()).isNotSameAs(web.internalRoute());
    }
}
