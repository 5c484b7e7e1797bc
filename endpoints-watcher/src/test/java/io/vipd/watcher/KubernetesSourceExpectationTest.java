package io.vipd.watcher;

import static io.vipd.watcher.KubernetesSourceFixtures.TIMEOUT;
import static io.vipd.watcher.KubernetesSourceFixtures.backends;
import static io.vipd.watcher.KubernetesSourceFixtures.service;
import static io.vipd.watcher.KubernetesSourceFixtures.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ListMeta;
import io.fabric8.kubernetes.api.model.ListMetaBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServiceListBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.WatchEventBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceListBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vipd.lb.ServiceTable;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Scripted API server answers (the fabric8 mock's expectation mode): 410 Gone in the middle of a watch, and a
 * response the client cannot read. The request URLs are the ones fabric8 8.0.0 sends (docs/fabric8.md §3.2).
 */
@EnableKubernetesMockClient(https = false)
class KubernetesSourceExpectationTest {
    private static final String SELECTOR =
            "labelSelector=%21service.kubernetes.io%2Fservice-proxy-name" + "%2C%21service.kubernetes.io%2Fheadless";
    private static final String SERVICES = "/api/v1/services";
    private static final String SLICES = "/apis/discovery.k8s.io/v1/endpointslices";

    /** Long enough for a test, short enough not to hold up the mock server's shutdown. */
    private static final long KEEP_OPEN_MILLIS = 2_500;

    KubernetesMockServer server;

    private final ServiceTable table = new ServiceTable();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private WatcherRuntime runtime;

    @AfterEach
    void tearDown() {
        if (runtime != null) {
            runtime.close();
        }
    }

    @Test
    void watchEndingIn410RelistsAndDropsWhatTheRelistNoLongerHas() {
        server.expect()
                .get()
                .withPath(SERVICES + "?" + SELECTOR + "&resourceVersion=0")
                .andReturn(
                        200,
                        new ServiceListBuilder()
                                .withMetadata(rv("11"))
                                .withItems(service("a", 80, "10.96.0.1"), service("b", 80, "10.96.0.2"))
                                .build())
                .once();
        // Long enough for the initial sync to program "a"; then a bookmark (rv 15) and 410 Gone.
        server.expect()
                .get()
                .withPath(watch(SERVICES, "11"))
                .andUpgradeToWebSocket()
                .open()
                .waitFor(2000)
                .andEmit(bookmark("15"))
                .waitFor(100)
                .andEmit(new WatchEventBuilder()
                        .withType("ERROR")
                        .withObject(new StatusBuilder()
                                .withCode(410)
                                .withReason("Expired")
                                .build())
                        .build())
                .done()
                .once();
        server.expect()
                .get()
                .withPath(SERVICES + "?" + SELECTOR)
                .andReturn(
                        200,
                        new ServiceListBuilder()
                                .withMetadata(rv("20"))
                                .withItems(service("b", 80, "10.96.0.2"))
                                .build())
                .once();
        server.expect()
                .get()
                .withPath(watch(SERVICES, "20"))
                .andUpgradeToWebSocket()
                .open()
                .waitFor(KEEP_OPEN_MILLIS)
                .andEmit(bookmark("20"))
                .done()
                .once();
        server.expect()
                .get()
                .withPath(SLICES + "?" + SELECTOR + "&resourceVersion=0")
                .andReturn(
                        200,
                        new EndpointSliceListBuilder()
                                .withMetadata(rv("11"))
                                .withItems(slice("a-1", "a", "10.1.0.1"), slice("b-1", "b", "10.1.0.2"))
                                .build())
                .once();
        server.expect()
                .get()
                .withPath(watch(SLICES, "11"))
                .andUpgradeToWebSocket()
                .open()
                .waitFor(KEEP_OPEN_MILLIS)
                .andEmit(bookmark("11"))
                .done()
                .once();

        start();

        await().atMost(TIMEOUT)
                .untilAsserted(
                        () -> assertThat(backends(table, "10.96.0.1", 80)).containsExactly("10.1.0.1:8080"));
        await().atMost(TIMEOUT)
                .untilAsserted(
                        () -> assertThat(backends(table, "10.96.0.1", 80)).isNull());
        assertThat(backends(table, "10.96.0.2", 80)).containsExactly("10.1.0.2:8080");
        assertThat(registry.get("vipd.watcher.informer.lists")
                        .tag("resource", "services")
                        .counter()
                        .count())
                .isEqualTo(2.0);
    }

    @Test
    void unreadableResponseStopsTheInformerAndIsReported() {
        server.expect()
                .get()
                .withPath(SERVICES + "?" + SELECTOR + "&resourceVersion=0")
                .andReturn(200, "{\"apiVersion\":\"v1\",\"kind\":\"ServiceList\",\"items\":[{\"metadata\":")
                .always();
        server.expect()
                .get()
                .withPath(SLICES + "?" + SELECTOR + "&resourceVersion=0")
                .andReturn(
                        200,
                        new EndpointSliceListBuilder().withMetadata(rv("11")).build())
                .always();
        server.expect()
                .get()
                .withPath(watch(SLICES, "11"))
                .andUpgradeToWebSocket()
                .open()
                .waitFor(KEEP_OPEN_MILLIS)
                .andEmit(bookmark("11"))
                .done()
                .always();
        start();

        await().atMost(TIMEOUT).until(() -> runtime.source().failure() != null);
        assertThat(runtime.tracker().initialized()).isFalse();
        assertThat(table.size()).isZero();
    }

    private void start() {
        runtime = new WatcherRuntime(
                server.createClient(),
                null,
                FeatureGates.defaults(),
                table,
                registry,
                SyncObserver.NONE,
                Duration.ZERO,
                Duration.ofMillis(100),
                Duration.ofHours(1));
        runtime.start();
    }

    private static String watch(String base, String rv) {
        return base + "?allowWatchBookmarks=true&" + SELECTOR + "&resourceVersion=" + rv
                + "&timeoutSeconds=600&watch=true";
    }

    /** A BOOKMARK: valid for either informer, it only moves the resourceVersion. */
    private static WatchEvent bookmark(String rv) {
        return new WatchEventBuilder()
                .withType("BOOKMARK")
                .withObject(new ServiceBuilder()
                        .withMetadata(
                                new ObjectMetaBuilder().withResourceVersion(rv).build())
                        .build())
                .build();
    }

    private static ListMeta rv(String rv) {
        return new ListMetaBuilder().withResourceVersion(rv).build();
    }
}
