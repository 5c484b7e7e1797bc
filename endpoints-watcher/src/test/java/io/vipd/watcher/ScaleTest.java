package io.vipd.watcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.vipd.lb.Action;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServicePortEntry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Correctness at 10,000 services x 10 endpoints: the table holds exactly what the objects say. No timings. */
class ScaleTest {
    static final int SERVICES = 10_000;
    static final int ENDPOINTS = 10;

    static Service service(int i) {
        return TestObjects.service("ns" + (i % 100), "svc" + i, clusterIP(i), TestObjects.port("http", "TCP", 80));
    }

    static String clusterIP(int i) {
        return "10.96." + (i / 256) + "." + (i % 256);
    }

    static EndpointSlice slice(int i, int generation) {
        Endpoint[] eps = new Endpoint[ENDPOINTS];
        for (int e = 0; e < ENDPOINTS; e++) {
            int host = i * ENDPOINTS + e + generation;
            eps[e] = TestObjects.ep(
                    "10." + (64 + host / 65536) + "." + (host / 256 % 256) + "." + (host % 256), "node-" + (e % 5));
        }
        return TestObjects.slice(
                "ns" + (i % 100), "svc" + i + "-abc", "svc" + i, TestObjects.slicePort("http", "TCP", 8080), eps);
    }

    @Test
    void tenThousandServicesOfTenEndpoints() {
        TrackerHarness h = new TrackerHarness(FeatureGates.defaults(), false);
        for (int i = 0; i < SERVICES; i++) {
            h.tracker.onServiceUpdate(null, service(i));
            h.tracker.onEndpointSliceUpdate(slice(i, 0), false);
        }
        h.tracker.servicesSynced();
        h.tracker.endpointSlicesSynced();
        SyncResult first = h.tracker.sync();
        assertThat(first.full()).isTrue();
        assertThat(first.upserted()).hasSize(SERVICES);
        assertThat(h.table.size()).isEqualTo(SERVICES);

        for (int i = 0; i < SERVICES; i += 997) {
            ServicePortEntry e = h.entry("ns" + (i % 100), "svc" + i, "http", Protocol.TCP);
            assertThat(e.clusterEndpoints().size()).isEqualTo(ENDPOINTS);
            assertThat(e.internalRoute().action()).isEqualTo(Action.FORWARD);
            List<String> expected = slice(i, 0).getEndpoints().stream()
                    .map(ep -> ep.getAddresses().get(0) + ":8080")
                    .sorted()
                    .toList();
            assertThat(e.clusterEndpoints().keys()).containsExactlyElementsOf(expected);
            assertThat(e.endpoints().backends().stream().filter(b -> b.local()).count())
                    .isEqualTo(2);
            assertThat(h.table
                            .lookup(Protocol.TCP, new java.net.InetSocketAddress(clusterIP(i), 80))
                            .entry())
                    .isSameAs(e);
        }

        ServicePortEntry untouched = h.entry("ns1", "svc1", "http", Protocol.TCP);
        h.tracker.onEndpointSliceUpdate(slice(4242, 1), false);
        SyncResult one = h.tracker.sync();
        assertThat(one.full()).isFalse();
        assertThat(one.upserted()).extracting(Object::toString).containsExactly("ns42/svc4242:http/TCP");
        assertThat(h.entry("ns1", "svc1", "http", Protocol.TCP)).isSameAs(untouched);
        assertThat(h.entry("ns42", "svc4242", "http", Protocol.TCP)
                        .clusterEndpoints()
                        .keys())
                .contains("10.64.165.190:8080")
                .doesNotContain("10.64.165.180:8080");

        h.tracker.requestFullSync();
        SyncResult full = h.tracker.sync();
        assertThat(full.full()).isTrue();
        assertThat(full.servicesExamined()).isEqualTo(SERVICES);
        assertThat(full.changed()).isFalse();
    }
}
