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
        assertThat(table.lookup(Protocol.TCP, new InetSocketAddress("127.0.0.1", 7001)).entry().name())
                .isEqualTo(name("a"));
        assertThat(table.get(name("a")).route(io.vipd.lb.FrontendType.LOAD_BALANCER, false).backends().keys())
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
        assertThat(table.lookup(Protocol.TCP, new InetSocketAddress("127.0.0.1", 7001))).isNull();
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
                assertThat(f.isNodePort() ? table.lookupNodePort(f.protocol(), f.port())
                        : table.lookup(f.protocol(), f.socketAddress())).as("%s in the table before accepting", f)
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
