package io.vipd.watcher;

import static io.vipd.watcher.KubernetesSourceFixtures.TIMEOUT;
import static io.vipd.watcher.KubernetesSourceFixtures.backends;
import static io.vipd.watcher.KubernetesSourceFixtures.familySlice;
import static io.vipd.watcher.KubernetesSourceFixtures.labelled;
import static io.vipd.watcher.KubernetesSourceFixtures.node;
import static io.vipd.watcher.KubernetesSourceFixtures.service;
import static io.vipd.watcher.KubernetesSourceFixtures.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vipd.lb.ServiceTable;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Services, EndpointSlices and the Node through real fabric8 informers against the fabric8 mock API server in CRUD
 * mode, asserted on the ServiceTable the watcher programs.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class KubernetesSourceCrudTest {
    KubernetesMockServer server;
    KubernetesClient client;

    private final ServiceTable table = new ServiceTable();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private WatcherRuntime runtime;

    @BeforeEach
    void startWatcher() {
        runtime = KubernetesSourceFixtures.runtime(server.createClient(), table, registry, SyncObserver.NONE);
        runtime.start();
        await().atMost(TIMEOUT).until(() -> runtime.tracker().initialized());
    }

    @AfterEach
    void stopWatcher() {
        runtime.close();
    }

    @Test
    void serviceAndSliceLifecycleReachesTheTable() {
        apply(service("web", 80, "10.96.0.10"));
        apply(slice("web-1", "web", "10.1.0.1", "10.1.0.2"));
        awaitBackends("10.96.0.10", 80, List.of("10.1.0.1:8080", "10.1.0.2:8080"));

        apply(slice("web-1", "web", "10.1.0.2"));
        awaitBackends("10.96.0.10", 80, List.of("10.1.0.2:8080"));

        apply(service("web", 81, "10.96.0.10"));
        awaitBackends("10.96.0.10", 81, List.of("10.1.0.2:8080"));
        assertThat(backends(table, "10.96.0.10", 80)).isNull();

        client.resource(slice("web-1", "web")).delete();
        awaitBackends("10.96.0.10", 81, List.of());

        client.resource(service("web", 81, "10.96.0.10")).delete();
        awaitBackends("10.96.0.10", 81, null);
        assertThat(table.size()).isZero();
    }

    @Test
    void endpointsMovingBetweenSlicesOfOneServiceAreMerged() {
        apply(service("api", 443, "10.96.0.20"));
        apply(slice("api-1", "api", "10.1.1.1", "10.1.1.2"));
        apply(slice("api-2", "api", "10.1.1.3"));
        awaitBackends("10.96.0.20", 443, List.of("10.1.1.1:8080", "10.1.1.2:8080", "10.1.1.3:8080"));

        // The controller moves 10.1.1.2 to the other slice: it is briefly in both, then only in api-2.
        apply(slice("api-2", "api", "10.1.1.2", "10.1.1.3"));
        apply(slice("api-1", "api", "10.1.1.1"));
        awaitBackends("10.96.0.20", 443, List.of("10.1.1.1:8080", "10.1.1.2:8080", "10.1.1.3:8080"));

        client.resource(slice("api-1", "api")).delete();
        awaitBackends("10.96.0.20", 443, List.of("10.1.1.2:8080", "10.1.1.3:8080"));
    }

    @Test
    void dualStackServiceServesEachFamilyFromItsOwnEndpointsAndSingleStackIgnoresTheOther() {
        // One entry serves both families of a dual-stack service, each frontend from its own family's endpoints
        // (kube-proxy's per-family proxiers; endpoints-watcher/README.md).
        apply(service("dual", 53, "10.96.0.30", "fd00:96::30"));
        apply(familySlice("dual-v4", "dual", "IPv4", "10.1.2.1"));
        apply(familySlice("dual-v6", "dual", "IPv6", "fd00:1::1"));
        awaitBackends("10.96.0.30", 53, List.of("10.1.2.1:8080"));
        awaitBackends("fd00:96::30", 53, List.of("[fd00:1::1]:8080"));

        // The IPv6 endpoints are gone: the IPv6 ClusterIP rejects while the IPv4 one still forwards.
        client.resource(familySlice("dual-v6", "dual", "IPv6")).delete();
        awaitBackends("fd00:96::30", 53, List.of());
        awaitBackends("10.96.0.30", 53, List.of("10.1.2.1:8080"));

        apply(service("single", 54, "10.96.0.31"));
        apply(familySlice("single-v6", "single", "IPv6", "fd00:1::2"));
        apply(slice("single-v4", "single", "10.1.2.2"));
        awaitBackends("10.96.0.31", 54, List.of("10.1.2.2:8080"));
    }

    @Test
    void servicesOfAnotherProxyAndHeadlessSlicesAreIgnored() {
        apply(labelled(service("foreign", 80, "10.96.0.40"), KubernetesSource.SERVICE_PROXY_NAME_LABEL, "other"));
        apply(labelled(slice("foreign-1", "foreign", "10.1.3.1"), KubernetesSource.SERVICE_PROXY_NAME_LABEL, "other"));
        apply(service("mine", 80, "10.96.0.41"));
        apply(slice("mine-1", "mine", "10.1.3.2"));
        apply(labelled(slice("mine-2", "mine", "10.1.3.3"), KubernetesSource.HEADLESS_LABEL, ""));
        awaitBackends("10.96.0.41", 80, List.of("10.1.3.2:8080"));
        // Events of one informer arrive in order and one sync takes all of them: "foreign" was seen and skipped.
        assertThat(backends(table, "10.96.0.40", 80)).isNull();

        // Handing "mine" to another proxy arrives as a delete; taking it back as an add.
        apply(labelled(service("mine", 80, "10.96.0.41"), KubernetesSource.SERVICE_PROXY_NAME_LABEL, "other"));
        awaitBackends("10.96.0.41", 80, null);
        apply(service("mine", 80, "10.96.0.41"));
        awaitBackends("10.96.0.41", 80, List.of("10.1.3.2:8080"));

        apply(service("foreign", 80, "10.96.0.40"));
        awaitBackends("10.96.0.40", 80, List.of());
        apply(slice("foreign-1", "foreign", "10.1.3.1"));
        awaitBackends("10.96.0.40", 80, List.of("10.1.3.1:8080"));
    }

    @Test
    void ownNodeSuppliesZoneAndEligibility() {
        assertThat(runtime.node().eligible()).isTrue();
        apply(node("zone-a"));
        await().atMost(TIMEOUT).until(() -> "zone-a".equals(runtime.node().zone()));
        assertThat(runtime.node().eligible()).isTrue();

        Node draining = node("zone-a");
        draining.setSpec(new io.fabric8.kubernetes.api.model.NodeSpec());
        draining.getSpec()
                .setTaints(List.of(new TaintBuilder()
                        .withKey(NodeInfo.TO_BE_DELETED_TAINT)
                        .withEffect("NoSchedule")
                        .build()));
        apply(draining);
        await().atMost(TIMEOUT).until(() -> !runtime.node().eligible());

        apply(labelled(node("zone-b"), "other", "x"));
        await().atMost(TIMEOUT)
                .until(() -> runtime.node().eligible()
                        && "zone-b".equals(runtime.node().zone()));
    }

    @Test
    void informerHealthIsExported() {
        await().atMost(TIMEOUT).until(() -> runtime.source().watching());
        assertThat(registry.get("vipd.watcher.informer.watching")
                        .tag("resource", "endpointslices")
                        .gauge()
                        .value())
                .isEqualTo(1.0);
        assertThat(registry.get("vipd.watcher.informer.lists")
                        .tag("resource", "services")
                        .counter()
                        .count())
                .isEqualTo(1.0);
    }

    private void apply(HasMetadata object) {
        object.getMetadata().setResourceVersion(null);
        client.resource(object).createOr(NonDeletingOperation::update);
    }

    private void awaitBackends(String ip, int port, List<String> expected) {
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(backends(table, ip, port)).isEqualTo(expected));
    }
}
