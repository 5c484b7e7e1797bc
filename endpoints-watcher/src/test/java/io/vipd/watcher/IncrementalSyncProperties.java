package io.vipd.watcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Any sequence of Service and EndpointSlice events, with syncs anywhere in between, leaves the same table as
 * feeding only the final objects to a fresh tracker: incremental syncs, collapsing and entry reuse never
 * change the result.
 */
class IncrementalSyncProperties {
    /** kind 0: slice upsert, 1: slice delete, 2: service upsert, 3: service delete, 4: sync. */
    record Op(int kind, int service, int slice, int variant, List<Integer> endpoints) {}

    static final String[] IPS = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"};
    static final String[] NODES = {"node-1", "node-2", ""};

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(
                        Arbitraries.integers().between(0, 4),
                        Arbitraries.integers().between(0, 2),
                        Arbitraries.integers().between(0, 2),
                        Arbitraries.integers().between(0, 7),
                        Arbitraries.integers().between(0, 53).list().ofMaxSize(5))
                .as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(40);
    }

    static Service service(int s, int variant) {
        return TestObjects.service(
                "ns",
                "svc" + s,
                "10.96.0." + (s + 1),
                List.of(
                        TestObjects.nodePort("http", "TCP", 80, variant % 2 == 0 ? 0 : 30080 + s),
                        TestObjects.port("dns", "UDP", 53)),
                b -> b.editSpec()
                        .withInternalTrafficPolicy((variant & 2) != 0 ? "Local" : "Cluster")
                        .withExternalTrafficPolicy((variant & 4) != 0 ? "Local" : "Cluster")
                        .withType(variant % 2 == 0 ? "ClusterIP" : "NodePort")
                        .endSpec());
    }

    /** Endpoint code: ip (6) x node (3) x conditions (3: ready, serving-terminating, not serving). */
    static EndpointSlice slice(int s, int k, int variant, List<Integer> codes) {
        List<Endpoint> eps = new ArrayList<>();
        for (int code : codes) {
            int cond = code % 3;
            String node = NODES[(code / 3) % 3];
            String ip = IPS[(code / 9) % IPS.length];
            eps.add(new EndpointBuilder()
                    .withAddresses(ip)
                    .withNodeName(node.isEmpty() ? null : node)
                    .withNewConditions()
                    .withReady(cond == 0)
                    .withServing(cond != 2)
                    .withTerminating(cond != 0)
                    .endConditions()
                    .withNewHints()
                    .addNewForZone(variant % 3 == 0 ? "zone-a" : "zone-b")
                    .endHints()
                    .build());
        }
        return TestObjects.slice(
                "ns",
                "svc" + s + "-" + k,
                "svc" + s,
                "IPv4",
                List.of(
                        TestObjects.slicePort("http", "TCP", 8080 + variant % 2),
                        TestObjects.slicePort("dns", "UDP", 53)),
                eps.toArray(new Endpoint[0]));
    }

    @Property(tries = 150)
    void incrementalEqualsFromScratch(@ForAll("ops") List<Op> ops) {
        TrackerHarness incremental = new TrackerHarness();
        incremental.tracker.onNodeUpdate(TestObjects.node(TrackerHarness.NODE, "zone-a"));
        Map<String, Service> services = new LinkedHashMap<>();
        Map<String, EndpointSlice> slices = new LinkedHashMap<>();
        for (Op op : ops) {
            String sliceKey = op.service() + "/" + op.slice();
            switch (op.kind()) {
                case 0 -> {
                    EndpointSlice s = slice(op.service(), op.slice(), op.variant(), op.endpoints());
                    slices.put(sliceKey, s);
                    incremental.tracker.onEndpointSliceUpdate(s, false);
                }
                case 1 -> {
                    EndpointSlice s = slices.remove(sliceKey);
                    if (s != null) {
                        incremental.tracker.onEndpointSliceUpdate(s, true);
                    }
                }
                case 2 -> {
                    Service s = service(op.service(), op.variant());
                    incremental.tracker.onServiceUpdate(services.put("" + op.service(), s), s);
                }
                case 3 -> {
                    Service s = services.remove("" + op.service());
                    if (s != null) {
                        incremental.tracker.onServiceUpdate(s, null);
                    }
                }
                default -> incremental.tracker.sync();
            }
        }
        incremental.tracker.sync();

        TrackerHarness scratch = new TrackerHarness(FeatureGates.defaults(), false);
        scratch.tracker.onNodeUpdate(TestObjects.node(TrackerHarness.NODE, "zone-a"));
        services.values().forEach(s -> scratch.tracker.onServiceUpdate(null, s));
        slices.values().forEach(s -> scratch.tracker.onEndpointSliceUpdate(s, false));
        scratch.tracker.servicesSynced();
        scratch.tracker.endpointSlicesSynced();
        scratch.tracker.sync();

        assertThat(describe(incremental.table.entries())).isEqualTo(describe(scratch.table.entries()));
    }

    private static List<String> describe(List<ServicePortEntry> entries) {
        List<String> out = new ArrayList<>();
        for (ServicePortEntry e : entries) {
            StringBuilder sb = new StringBuilder(e.name().toString());
            for (ServiceFrontend f : e.frontends()) {
                sb.append(' ').append(f.type().displayName()).append('=').append(f.frontend());
            }
            sb.append(" all=")
                    .append(e.endpoints().backends().stream()
                            .map(b -> b.key() + "/" + b.state() + "/" + b.local())
                            .toList());
            sb.append(" cluster=")
                    .append(e.clusterEndpoints())
                    .append(" local=")
                    .append(e.localEndpoints())
                    .append(" any=")
                    .append(e.hasAnyEndpoints())
                    .append(" internal=")
                    .append(e.internalRoute().action())
                    .append(e.internalRoute().backends())
                    .append(" external=")
                    .append(e.externalRoute().action())
                    .append(e.externalRoute().backends());
            out.add(sb.toString());
        }
        return out;
    }
}
