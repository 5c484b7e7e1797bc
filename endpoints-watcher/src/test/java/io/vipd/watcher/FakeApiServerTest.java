package io.vipd.watcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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
        // Outside the informer's label selector: no event reaches it, so only the bookmark can move it this far.
        long invisible = server.upsert(new ServiceBuilder()
                .withNewMetadata()
                .withName("other")
                .withNamespace("default")
                .addToLabels("service.kubernetes.io/service-proxy-name", "foreign")
                .endMetadata()
                .build());
        server.bookmark();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> Long.parseLong(informer.lastSyncResourceVersion()) >= invisible);
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
        assertThat(informer.getStore().list())
                .extracting(s -> s.getMetadata().getName())
                .containsExactly("keep");
        informer.close();
    }

    @Test
    void aReplacedObjectKeepsItsUidAndTakesTheNewResourceVersion() {
        server.upsert(service("a"));
        SharedIndexInformer<Service> informer = start();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.openWatches() == 1);
        String uid = informer.getStore().getByKey("default/a").getMetadata().getUid();
        Service movedService = new ServiceBuilder(service("a"))
                .editSpec()
                .withClusterIP("10.0.0.2")
                .endSpec()
                .build();
        FakeApiServer.Snapshot moved = server.snapshot(movedService);
        long rv = server.upsert(moved);
        await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("update a"));
        Service a = informer.getStore().getByKey("default/a");
        assertThat(a.getMetadata().getUid()).isNotBlank().isEqualTo(uid);
        assertThat(a.getMetadata().getResourceVersion()).isEqualTo(Long.toString(rv));
        assertThat(a.getSpec().getClusterIP()).isEqualTo("10.0.0.2");
        assertThat(server.snapshot(movedService)).isEqualTo(moved).isNotEqualTo(server.snapshot(service("a")));
        informer.close();
    }

    @Test
    void aWebSocketWatchFallsBackToHttp() {
        Config config = new ConfigBuilder(Config.empty())
                .withMasterUrl(server.url())
                .withRequestRetryBackoffLimit(0)
                .build();
        try (KubernetesClient webSocketFirst =
                new KubernetesClientBuilder().withConfig(config).build()) {
            client.close();
            client = webSocketFirst;
            server.upsert(service("a"));
            SharedIndexInformer<Service> informer = start();
            await().atMost(Duration.ofSeconds(10)).until(() -> server.openWatches() == 1);
            server.upsert(service("b"));
            await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("add b"));
            informer.close();
        }
    }

    private SharedIndexInformer<Service> start() {
        SharedIndexInformer<Service> informer = client.services()
                .inAnyNamespace()
                .withoutLabel("service.kubernetes.io/service-proxy-name")
                .runnableInformer(0);
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
        return new ServiceBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("default")
                .endMetadata()
                .withNewSpec()
                .withClusterIP("10.0.0.1")
                .endSpec()
                .build();
    }
}
