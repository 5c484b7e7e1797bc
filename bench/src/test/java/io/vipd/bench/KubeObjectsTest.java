package io.vipd.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Service and EndpointSlice a bench service becomes, as kube-proxy would read them. */
class KubeObjectsTest {
    private final BenchService svc = ServiceSets.parse("2/tcp/198.19.0.1/80/8080/198.18.2.10+198.18.2.11")
            .get(1);

    @Test
    void serviceIsAClusterIpWithTheNamedPort() {
        Service s = KubeObjects.service(svc);
        assertThat(s.getMetadata().getNamespace()).isEqualTo("bench");
        assertThat(s.getMetadata().getName()).isEqualTo("svc-00001");
        assertThat(s.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(s.getSpec().getClusterIP()).isEqualTo("198.19.0.2");
        assertThat(s.getSpec().getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("p80");
            assertThat(p.getProtocol()).isEqualTo("TCP");
            assertThat(p.getPort()).isEqualTo(80);
        });
    }

    @Test
    void sliceBelongsToTheServiceAndHoldsReadyEndpoints() {
        EndpointSlice slice = KubeObjects.slice(svc);
        assertThat(slice.getMetadata().getLabels()).containsEntry(KubeObjects.SERVICE_NAME_LABEL, "svc-00001");
        assertThat(slice.getAddressType()).isEqualTo("IPv4");
        assertThat(slice.getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("p80");
            assertThat(p.getPort()).isEqualTo(8080);
        });
        assertThat(slice.getEndpoints())
                .hasSize(2)
                .allSatisfy(e -> assertThat(e.getConditions().getReady()).isTrue());
        assertThat(slice.getEndpoints().get(0).getAddresses()).containsExactly("198.18.2.10");
    }

    @Test
    void endpointsOnDifferentPortsAreRejected() {
        BenchService mixed = svc.withEndpoints(
                List.of(new BenchService.Endpoint("198.18.2.10", 1), new BenchService.Endpoint("198.18.2.11", 2)));
        assertThatThrownBy(() -> KubeObjects.slice(mixed)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void objectsAreServicesThenSlices() {
        assertThat(KubeObjects.of(List.of(svc)))
                .extracting(o -> o.getKind())
                .containsExactly("Service", "EndpointSlice");
    }
}
