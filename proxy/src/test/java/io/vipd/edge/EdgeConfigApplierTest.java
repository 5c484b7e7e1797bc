package io.vipd.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vipd.lb.Frontend;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.proxy.ListenerException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EdgeConfigApplierTest {
    private final EdgeConfigLoader loader = EdgeConfigLoader.withDefaultFormats();
    private final ServiceTable table = new ServiceTable();
    private final FakeListeners listeners = new FakeListeners();
    private final EdgeConfigApplier applier = new EdgeConfigApplier(table, listeners);

    private static final String TWO = """
            services:
              - name: a
                listen: [127.0.0.1:7001]
                backends: [127.0.0.2:80]
              - name: b
                listen: [127.0.0.1:7002]
                backends: [127.0.0.3:80]
            """;

    @Test
    void firstApplyOpensEveryListenerAndInstallsEveryService() throws Exception {
        EdgeConfigApplier.Result r = applier.apply(loader.parse("f.yaml", TWO));

        assertThat(r.added()).containsExactlyInAnyOrder(name("a"), name("b"));
        assertThat(listeners.open).containsExactlyInAnyOrder(tcp(7001), tcp(7002));
        assertThat(listeners.accepting).as("accepting once installed").isEqualTo(listeners.open);
        assertThat(table.lookup(Protocol.TCP, new InetSocketAddress("127.0.0.1", 7001))
                        .entry()
                        .name())
                .isEqualTo(name("a"));
        assertThat(table.get(name("a"))
                        .route(io.vipd.lb.FrontendType.LOAD_BALANCER, false)
                        .backends()
                        .keys())
                .containsExactly("127.0.0.2:80");
    }

    @Test
    void aReloadTouchesOnlyWhatChanged() throws Exception {
        applier.apply(loader.parse("f.yaml", TWO));
        ServicePortEntry untouched = table.get(name("b"));
        long generation = table.generation();

        EdgeConfigApplier.Result r = applier.apply(loader.parse("f.yaml", """
                services:
                  - name: a
                    listen: [127.0.0.1:7003]
                    backends: [127.0.0.2:80, 127.0.0.4:80]
                  - name: b
                    listen: [127.0.0.1:7002]
                    backends: [127.0.0.3:80]
                  - name: c
                    protocol: UDP
                    listen: [127.0.0.1:7002]
                """));

        assertThat(r.added()).containsExactly(name("c", Protocol.UDP));
        assertThat(r.changed()).containsExactly(name("a"));
        assertThat(r.removed()).isEmpty();
        assertThat(table.get(name("b"))).isSameAs(untouched);
        assertThat(table.generation()).isEqualTo(generation + 1);
        assertThat(r.opened()).containsExactlyInAnyOrder(tcp(7003), udp(7002));
        assertThat(r.closed()).containsExactly(tcp(7001));
        assertThat(listeners.open).containsExactlyInAnyOrder(tcp(7002), tcp(7003), udp(7002));
        assertThat(table.lookup(Protocol.TCP, new InetSocketAddress("127.0.0.1", 7001)))
                .isNull();
    }

    @Test
    void removingAServiceClosesItsListenersAndEntry() throws Exception {
        applier.apply(loader.parse("f.yaml", TWO));

        EdgeConfigApplier.Result r = applier.apply(loader.parse("f.yaml", "services: []\n"));

        assertThat(r.removed()).containsExactlyInAnyOrder(name("a"), name("b"));
        assertThat(table.size()).isZero();
        assertThat(listeners.open).isEmpty();
        assertThat(listeners.closeCalls).hasSize(1);
    }

    @Test
    void aListenerThatCannotOpenRefusesTheWholeReloadAndNamesItsLine() throws Exception {
        applier.apply(loader.parse("f.yaml", TWO));
        ServicePortEntry a = table.get(name("a"));
        listeners.busy.add(tcp(7009));

        assertThatThrownBy(() -> applier.apply(loader.parse("f.yaml", """
                services:
                  - name: a
                    listen: [127.0.0.1:7001, 127.0.0.1:7008, 127.0.0.1:7009]
                    backends: [127.0.0.9:80]
                """)))
                .isInstanceOf(EdgeConfigException.class)
                .hasMessage("f.yaml:3: services[0].listen[2]: 127.0.0.1:7009/TCP: Address already in use");

        assertThat(table.get(name("a"))).isSameAs(a);
        assertThat(table.get(name("b"))).isNotNull();
        assertThat(listeners.open).containsExactlyInAnyOrder(tcp(7001), tcp(7002));
        assertThat(listeners.accepting).as("accepting once installed").isEqualTo(listeners.open);
    }

    @Test
    void anUnchangedFileChangesNothing() throws Exception {
        applier.apply(loader.parse("f.yaml", TWO));
        long generation = table.generation();

        EdgeConfigApplier.Result r = applier.apply(loader.parse("f.yaml", TWO + "# a comment\n"));

        assertThat(r.isEmpty()).isTrue();
        assertThat(table.generation()).isEqualTo(generation);
    }

    /** A Service (ClusterIP 127.0.80.{ip}:{port}) and its EndpointSlice in namespace shop, as manifests. */
    private static String manifest(String service, int ip, int port, String... endpoints) {
        StringBuilder sb = new StringBuilder("""
                apiVersion: v1
                kind: Service
                metadata: {name: %s, namespace: shop}
                spec:
                  clusterIP: 127.0.80.%d
                  ports: [{name: http, port: %d, protocol: TCP}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: %s-1
                  namespace: shop
                  labels: {kubernetes.io/service-name: %s}
                addressType: IPv4
                ports: [{name: http, port: 9000, protocol: TCP}]
                endpoints:
                """.formatted(service, ip, port, service, service));
        for (String e : endpoints) {
            sb.append("  - addresses: [").append(e).append("]\n");
        }
        return sb.append("---\n").toString();
    }

    private static ServicePortName shop(String service) {
        return ServicePortName.of("shop", service, "http", Protocol.TCP);
    }

    private static Frontend clusterIp(int ip, int port) {
        return Frontend.of(new InetSocketAddress("127.0.80." + ip, port), Protocol.TCP);
    }

    @Test
    void manifestsReachTheTableThroughTheTrackerWhichRebuildsOnlyWhatChanged() throws Exception {
        String web = manifest("web", 1, 8080, "127.0.81.1", "127.0.81.2");
        EdgeConfigApplier.Result first =
                applier.apply(loader.parse("m.yaml", web + manifest("api", 2, 8081, "127.0.81.3")));
        assertThat(first.added()).containsExactlyInAnyOrder(shop("web"), shop("api"));
        assertThat(listeners.accepting).containsExactlyInAnyOrder(clusterIp(1, 8080), clusterIp(2, 8081));
        ServicePortEntry untouched = table.get(shop("web"));
        long generation = table.generation();

        EdgeConfigApplier.Result r =
                applier.apply(loader.parse("m.yaml", web + manifest("api", 2, 8081, "127.0.81.3", "127.0.81.4")));

        assertThat(r.added()).isEmpty();
        assertThat(r.changed()).containsExactly(shop("api"));
        assertThat(r.removed()).isEmpty();
        assertThat(r.opened()).isEmpty();
        assertThat(table.get(shop("web"))).isSameAs(untouched);
        assertThat(table.generation()).isEqualTo(generation + 1);
        assertThat(table.get(shop("api")).internalRoute().backends().keys())
                .containsExactly("127.0.81.3:9000", "127.0.81.4:9000");

        EdgeConfigApplier.Result same = applier.apply(
                loader.parse("m.yaml", web + manifest("api", 2, 8081, "127.0.81.3", "127.0.81.4") + "# a comment\n"));
        assertThat(same.isEmpty()).isTrue();
        assertThat(table.generation()).isEqualTo(generation + 1);
    }

    @Test
    void aChangedServiceIsBuiltOverTheEntryInForce() throws Exception {
        String slice = manifest("web", 1, 8080, "127.0.81.1", "127.0.81.2");
        applier.apply(loader.parse("m.yaml", slice));
        ServicePortEntry before = table.get(shop("web"));

        applier.apply(loader.parse(
                "m.yaml",
                slice.replace("clusterIP: 127.0.80.1", "clusterIP: 127.0.80.1\n  externalIPs: [127.0.80.9]")));

        ServicePortEntry after = table.get(shop("web"));
        assertThat(after).isNotSameAs(before);
        assertThat(after.frontends()).hasSize(2);
        assertThat(after.internalRoute()).as("same backends, same picker").isSameAs(before.internalRoute());
        assertThat(listeners.open).containsExactlyInAnyOrder(clusterIp(1, 8080), clusterIp(9, 8080));
    }

    @Test
    void removingAServiceFromTheManifestsClosesItsListenerAndEntry() throws Exception {
        String web = manifest("web", 1, 8080, "127.0.81.1");
        applier.apply(loader.parse("m.yaml", web + manifest("api", 2, 8081, "127.0.81.3")));

        EdgeConfigApplier.Result r = applier.apply(loader.parse("m.yaml", web));

        assertThat(r.removed()).containsExactly(shop("api"));
        assertThat(r.closed()).containsExactly(clusterIp(2, 8081));
        assertThat(table.get(shop("api"))).isNull();
        assertThat(table.lookup(Protocol.TCP, new InetSocketAddress("127.0.80.2", 8081)))
                .isNull();
        assertThat(listeners.open).containsExactly(clusterIp(1, 8080));
    }

    @Test
    void aListenerThatCannotOpenRefusesManifestsNamingTheServiceAndFeedsTheTrackerNothing() throws Exception {
        String web = manifest("web", 1, 8080, "127.0.81.1");
        applier.apply(loader.parse("m.yaml", web));
        ServicePortEntry inForce = table.get(shop("web"));
        listeners.busy.add(clusterIp(2, 8081));

        assertThatThrownBy(() -> applier.apply(loader.parse(
                        "m.yaml", manifest("web", 1, 8080, "127.0.81.2") + manifest("api", 2, 8081, "127.0.81.3"))))
                .isInstanceOf(EdgeConfigException.class)
                .hasMessage("m.yaml: Service shop/api: 127.0.80.2:8081/TCP: Address already in use");
        assertThat(table.get(shop("web"))).isSameAs(inForce);
        assertThat(table.get(shop("api"))).isNull();

        // The refused file was never staged: the same file applies in full once the port is free.
        listeners.busy.clear();
        EdgeConfigApplier.Result r = applier.apply(loader.parse(
                "m.yaml", manifest("web", 1, 8080, "127.0.81.2") + manifest("api", 2, 8081, "127.0.81.3")));
        assertThat(r.added()).containsExactly(shop("api"));
        assertThat(r.changed()).containsExactly(shop("web"));
    }

    @Test
    void switchingBetweenTheCompactFormatAndManifestsReplacesEveryServicePort() throws Exception {
        applier.apply(loader.parse("f.yaml", TWO));
        // A manifest Service default/a with an unnamed port has the compact service a's name.
        String a = """
                apiVersion: v1
                kind: Service
                metadata: {name: a}
                spec:
                  clusterIP: 127.0.0.1
                  ports: [{port: 7001, protocol: TCP}]
                ---
                """;

        EdgeConfigApplier.Result toManifests =
                applier.apply(loader.parse("f.yaml", a + manifest("web", 1, 8080, "127.0.81.1")));

        assertThat(toManifests.added()).containsExactly(shop("web"));
        assertThat(toManifests.changed()).containsExactly(name("a"));
        assertThat(toManifests.removed()).containsExactly(name("b"));
        assertThat(table.entries())
                .extracting(ServicePortEntry::name)
                .containsExactlyInAnyOrder(name("a"), shop("web"));
        assertThat(table.get(name("a")).frontends())
                .extracting(f -> f.type())
                .containsExactly(io.vipd.lb.FrontendType.CLUSTER_IP);
        assertThat(listeners.open).containsExactlyInAnyOrder(tcp(7001), clusterIp(1, 8080));

        EdgeConfigApplier.Result back = applier.apply(loader.parse("f.yaml", TWO));

        assertThat(back.added()).containsExactly(name("b"));
        assertThat(back.changed()).containsExactly(name("a"));
        assertThat(back.removed()).containsExactly(shop("web"));
        assertThat(table.entries()).extracting(ServicePortEntry::name).containsExactlyInAnyOrder(name("a"), name("b"));
        assertThat(listeners.open).containsExactlyInAnyOrder(tcp(7001), tcp(7002));

        // Manifests again start from a fresh tracker, which replaces what the compact format installed.
        applier.apply(loader.parse("f.yaml", manifest("web", 1, 8080, "127.0.81.1")));
        assertThat(table.entries()).extracting(ServicePortEntry::name).containsExactly(shop("web"));
    }

    private static ServicePortName name(String n) {
        return name(n, Protocol.TCP);
    }

    private static ServicePortName name(String n, Protocol p) {
        return ServicePortName.of("default", n, "", p);
    }

    private static Frontend tcp(int port) {
        return Frontend.of(new InetSocketAddress("127.0.0.1", port), Protocol.TCP);
    }

    private static Frontend udp(int port) {
        return Frontend.of(new InetSocketAddress("127.0.0.1", port), Protocol.UDP);
    }

    /** Listeners that open unless marked busy, all or nothing, as the engine promises. */
    final class FakeListeners implements FrontendListeners {
        final Set<Frontend> open = new HashSet<>();
        final Set<Frontend> accepting = new HashSet<>();
        final Set<Frontend> busy = new HashSet<>();
        final List<Collection<Frontend>> closeCalls = new ArrayList<>();

        @Override
        public void open(Collection<Frontend> frontends) throws ListenerException {
            for (Frontend f : frontends) {
                if (busy.contains(f)) {
                    throw new ListenerException(f, "Address already in use", null);
                }
            }
            open.addAll(frontends);
        }

        @Override
        public void accept(Collection<Frontend> frontends) {
            assertThat(open).containsAll(frontends);
            for (Frontend f : frontends) {
                assertThat(
                                f.isNodePort()
                                        ? table.lookupNodePort(f.protocol(), f.port())
                                        : table.lookup(f.protocol(), f.socketAddress()))
                        .as("%s in the table before accepting", f)
                        .isNotNull();
            }
            accepting.addAll(frontends);
        }

        @Override
        public void close(Collection<Frontend> frontends) {
            closeCalls.add(List.copyOf(frontends));
            open.removeAll(frontends);
            accepting.removeAll(frontends);
        }
    }
}
