package io.vipd.watcher;

import static io.vipd.watcher.KubernetesSourceFixtures.TIMEOUT;
import static io.vipd.watcher.KubernetesSourceFixtures.backends;
import static io.vipd.watcher.KubernetesSourceFixtures.labelled;
import static io.vipd.watcher.KubernetesSourceFixtures.service;
import static io.vipd.watcher.KubernetesSourceFixtures.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vipd.lb.ServiceTable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Start-up ordering, API server outages, 410 Gone and re-lists, against {@link FakeApiServer}, which has the real
 * resourceVersion semantics the fabric8 CRUD mock lacks.
 */
class KubernetesSourceRecoveryTest {
    private final ServiceTable table = new ServiceTable();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicInteger synced = new AtomicInteger();
    private final SyncObserver observer = new SyncObserver() {
        @Override
        public void queued() {}

        @Override
        public void synced() {
            synced.incrementAndGet();
        }
    };
    private FakeApiServer server;
    private WatcherRuntime runtime;

    @AfterEach
    void tearDown() {
        if (runtime != null) {
            runtime.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void nothingIsProgrammedBeforeServicesAndSlicesHaveBothBeenListed() throws IOException {
        server = FakeApiServer.start();
        server.upsert(service("web", 80, "10.96.0.10"));
        server.upsert(slice("web-1", "web", "10.1.0.1"));
        server.holdLists(FakeApiServer.Kind.ENDPOINT_SLICES);
        startRuntime(server.port());

        await().atMost(TIMEOUT).until(() -> lists("services") == 1);
        await().during(Duration.ofMillis(500)).atMost(TIMEOUT).until(() -> table.size() == 0);
        assertThat(runtime.tracker().initialized()).isFalse();
        assertThat(synced.get()).isZero();

        server.releaseLists();
        await().atMost(TIMEOUT)
                .untilAsserted(
                        () -> assertThat(backends(table, "10.96.0.10", 80)).containsExactly("10.1.0.1:8080"));
        assertThat(synced.get()).isPositive();
    }

    @Test
    void objectDeletedWhileTheWatchWasDownLeavesTheTableAfter410AndRelist() throws IOException {
        server = FakeApiServer.start();
        server.upsert(service("keep", 80, "10.96.0.10"));
        server.upsert(slice("keep-1", "keep", "10.1.0.1"));
        startRuntime(server.port());
        await().atMost(TIMEOUT).until(() -> runtime.source().watching());
        // Created after the watches opened, so the client has seen watch events and resumes from their rv.
        server.upsert(service("gone", 80, "10.96.0.20"));
        server.upsert(slice("gone-1", "gone", "10.1.0.2"));
        await().atMost(TIMEOUT)
                .untilAsserted(
                        () -> assertThat(backends(table, "10.96.0.20", 80)).containsExactly("10.1.0.2:8080"));
        int servicesListsBefore = lists("services");

        server.holdWatches();
        server.dropWatches();
        server.delete(FakeApiServer.Kind.SERVICES, "default", "gone");
        server.delete(FakeApiServer.Kind.ENDPOINT_SLICES, "default", "gone-1");
        server.compact();
        server.releaseWatches();

        await().atMost(TIMEOUT)
                .untilAsserted(
                        () -> assertThat(backends(table, "10.96.0.20", 80)).isNull());
        assertThat(server.goneSent()).isPositive();
        assertThat(lists("services")).isGreaterThan(servicesListsBefore);
        assertThat(backends(table, "10.96.0.10", 80)).containsExactly("10.1.0.1:8080");
    }

    @Test
    void apiServerDownAtStartUpIsRetriedUntilItAnswers() throws IOException {
        int port = freePort();
        startRuntime(port);
        await().atMost(TIMEOUT).until(() -> errors("services") >= 2 && errors("endpointslices") >= 2);
        assertThat(table.size()).isZero();
        assertThat(runtime.source().failure()).isNull();

        server = FakeApiServer.start(port);
        server.upsert(service("web", 80, "10.96.0.10"));
        server.upsert(slice("web-1", "web", "10.1.0.1"));
        await().atMost(TIMEOUT)
                .untilAsserted(
                        () -> assertThat(backends(table, "10.96.0.10", 80)).containsExactly("10.1.0.1:8080"));
        await().atMost(TIMEOUT).until(() -> runtime.source().watching());
    }

    @Test
    void tableKeepsServingThroughAnOutageAndCatchesUpWithARestoredServer() throws IOException {
        server = FakeApiServer.start();
        int port = server.port();
        server.upsert(service("web", 80, "10.96.0.10"));
        server.upsert(slice("web-1", "web", "10.1.0.1"));
        server.upsert(service("old", 80, "10.96.0.20"));
        startRuntime(port);
        await().atMost(TIMEOUT)
                .untilAsserted(
                        () -> assertThat(backends(table, "10.96.0.10", 80)).containsExactly("10.1.0.1:8080"));
        await().atMost(TIMEOUT).until(() -> runtime.source().watching());

        server.close();
        await().atMost(TIMEOUT).until(() -> !runtime.source().watching());
        assertThat(backends(table, "10.96.0.10", 80)).containsExactly("10.1.0.1:8080");
        assertThat(backends(table, "10.96.0.20", 80)).isEqualTo(List.of());

        // A restored server without "old" and with newer endpoints; its history starts later than the client's rv.
        server = FakeApiServer.start(port, 10_000);
        server.upsert(service("web", 80, "10.96.0.10"));
        server.upsert(slice("web-1", "web", "10.1.0.1", "10.1.0.3"));
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(backends(table, "10.96.0.10", 80)).containsExactly("10.1.0.1:8080", "10.1.0.3:8080");
            assertThat(backends(table, "10.96.0.20", 80)).isNull();
        });
        assertThat(runtime.source().failure()).isNull();
    }

    @Test
    void bookmarksLetAWatchResumeAfterCompactionWithoutARelist() throws IOException {
        server = FakeApiServer.start();
        server.upsert(service("web", 80, "10.96.0.10"));
        server.upsert(slice("web-1", "web", "10.1.0.1"));
        startRuntime(server.port());
        await().atMost(TIMEOUT).until(() -> runtime.source().watching());
        int servicesLists = lists("services");
        // Changes the selector hides move the resourceVersion on without any event reaching the client...
        for (int i = 0; i < 3; i++) {
            server.upsert(labelled(
                    service("foreign", 80, "10.96.0.99"), KubernetesSource.SERVICE_PROXY_NAME_LABEL, "other-" + i));
        }
        // ...except the bookmark, which is written before the stream ends.
        server.bookmark();
        server.holdWatches();
        server.dropWatches();
        server.compact();
        server.releaseWatches();

        await().atMost(TIMEOUT)
                .until(() -> server.requests().stream()
                                .filter(r -> r.startsWith("GET /api/v1/services?") && r.contains("watch=true"))
                                .count()
                        >= 2);
        await().atMost(TIMEOUT).until(() -> runtime.source().watching());
        assertThat(server.goneSent()).isZero();
        assertThat(lists("services")).isEqualTo(servicesLists);
        assertThat(backends(table, "10.96.0.10", 80)).containsExactly("10.1.0.1:8080");
    }

    @Test
    void cachedObjectsDropManagedFields() throws IOException {
        server = FakeApiServer.start();
        Service web = service("web", 80, "10.96.0.10");
        web.getMetadata()
                .setManagedFields(List.of(new ManagedFieldsEntryBuilder()
                        .withManager("kubectl")
                        .withOperation("Update")
                        .withApiVersion("v1")
                        .build()));
        server.upsert(web);
        startRuntime(server.port());
        await().atMost(TIMEOUT).until(() -> runtime.tracker().initialized());
        List<Service> cached = runtime.source().cached(Service.class);
        assertThat(cached).hasSize(1);
        assertThat(cached.get(0).getMetadata().getManagedFields()).isNullOrEmpty();
        assertThat(cached.get(0).getSpec().getClusterIP()).isEqualTo("10.96.0.10");
    }

    private void startRuntime(int port) {
        KubernetesClient client = KubernetesSourceFixtures.fakeServerClient(port);
        runtime = KubernetesSourceFixtures.runtime(client, table, registry, observer);
        runtime.start();
    }

    private int lists(String resource) {
        return (int) registry.get("vipd.watcher.informer.lists")
                .tag("resource", resource)
                .counter()
                .count();
    }

    private int errors(String resource) {
        return (int) registry.get("vipd.watcher.informer.errors")
                .tag("resource", resource)
                .counter()
                .count();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
