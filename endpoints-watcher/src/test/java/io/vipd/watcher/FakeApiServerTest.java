package io.vipd.watcher;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The fixture itself, driven by a bare fabric8 informer: it must speak the protocol the client expects. */
class FakeApiServerTest {
    private FakeApiServer server;
    private KubernetesClient client;
    private final List<String> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        server = FakeApiServer.start();
        client = KubernetesSourceFixtures.fakeServerClient(server.port());
    }

    @AfterEach
    void tearDown() {
        client.close();
        server.close();
    }

    @Test
    void listThenWatchDeliversLiveChangesOverHttp() {
        server.upsert(service("a"));
        SharedIndexInformer<Service> informer = start();
        await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("list"));
        server.upsert(service("b"));
        server.delete(FakeApiServer.Kind.SERVICES, "default", "a");
        await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("delete a false"));
        assertThat(events).containsSubsequence("add a", "list", "add b", "delete a false");
        assertThat(server.requests()).anyMatch(r -> r.contains("watch=true"));
        informer.close();
    }

    @Test
    void bookmarkAdvancesTheResourceVersionWithoutEvents() {
        SharedIndexInformer<Service> informer = start();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.openWatches() == 1);
        server.upsert(service("x"));
        server.delete(FakeApiServer.Kind.SERVICES, "default", "x");
        long afterDelete = Long.parseLong(informer.lastSyncResourceVersion());
        server.upsert(new ServiceBuilder().withNewMetadata().withName("other").withNamespace("default")
                .addToLabels("service.kubernetes.io/service-proxy-name", "foreign").endMetadata().build());
        server.bookmark();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> Long.parseLong(informer.lastSyncResourceVersion()) > afterDelete + 1);
        assertThat(events).doesNotContain("add other");
        informer.close();
    }

    @Test
    void compactionWhileTheWatchIsDownMeans410ThenRelist() {
        server.upsert(service("keep"));
        SharedIndexInformer<Service> informer = start();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.openWatches() == 1);
        server.upsert(service("gone"));
        await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("add gone"));

        server.holdWatches();
        server.dropWatches();
        server.delete(FakeApiServer.Kind.SERVICES, "default", "gone");
        server.compact();
        server.releaseWatches();

        await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("delete gone true"));
        assertThat(server.goneSent()).isGreaterThanOrEqualTo(1);
        assertThat(events).containsSubsequence("before-list", "list", "before-list", "delete gone true", "list");
        assertThat(informer.getStore().list()).extracting(s -> s.getMetadata().getName()).containsExactly("keep");
        informer.close();
    }

    private SharedIndexInformer<Service> start() {
        SharedIndexInformer<Service> informer = client.services().inAnyNamespace()
                .withoutLabel("service.kubernetes.io/service-proxy-name").runnableInformer(0);
        informer.addEventHandler(new ResourceEventHandler<Service>() {
            @Override
            public void onBeforeList(String lastSyncResourceVersion) {
                events.add("before-list");
            }

            @Override
            public void onList(String resourceVersion, boolean remainedEmpty) {
                events.add("list");
            }

            @Override
            public void onAdd(Service s) {
                events.add("add " + s.getMetadata().getName());
            }

            @Override
            public void onUpdate(Service o, Service n) {
                events.add("update " + n.getMetadata().getName());
            }

            @Override
            public void onDelete(Service s, boolean unknown) {
                events.add("delete " + s.getMetadata().getName() + " " + unknown);
            }
        });
        informer.start();
        return informer;
    }

    static Service service(String name) {
        return new ServiceBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .withNewSpec().withClusterIP("10.0.0.1").endSpec().build();
    }
}
