package io.vipd.watcher;

import static io.vipd.watcher.KubernetesSourceFixtures.TIMEOUT;
import static io.vipd.watcher.KubernetesSourceFixtures.backends;
import static io.vipd.watcher.KubernetesSourceFixtures.service;
import static io.vipd.watcher.KubernetesSourceFixtures.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.Config;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vipd.lb.ServiceTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatcherRuntimeTest {
    private static final String KUBECONFIG = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster:
                server: https://127.0.0.2:6443
            users:
            - name: u
              user:
                token: abc
            contexts:
            - name: ctx
              context: {cluster: c, user: u}
            current-context: ctx
            """;

    @TempDir
    Path dir;

    @Test
    void reconnectIntervalIsSpreadOverOneSecondByNodeName() {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            int ms = WatcherRuntime.reconnectIntervalMillis("node-" + i);
            assertThat(ms).isBetween(1000, 1999);
            seen.add(ms);
        }
        assertThat(seen).hasSizeGreaterThan(150);
        assertThat(WatcherRuntime.reconnectIntervalMillis("node-7"))
                .isEqualTo(WatcherRuntime.reconnectIntervalMillis("node-7"));
    }

    @Test
    void kubeconfigGivesTheAddressAndMasterOverridesIt() throws Exception {
        Path file = Files.writeString(dir.resolve("kubeconfig"), KUBECONFIG);
        Config config = WatcherRuntime.clientConfig(file, null, "node-a");
        assertThat(config.getMasterUrl()).startsWith("https://127.0.0.2:6443");
        assertThat(config.getWatchReconnectInterval()).isEqualTo(WatcherRuntime.reconnectIntervalMillis("node-a"));

        Config overridden = WatcherRuntime.clientConfig(file, "https://127.0.0.3:443", "node-a");
        assertThat(overridden.getMasterUrl()).startsWith("https://127.0.0.3");
    }

    @Test
    void unreadableKubeconfigIsAnErrorNamingTheFile() throws Exception {
        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> WatcherRuntime.clientConfig(missing, null, "n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(missing.toString());
        Path garbage = Files.writeString(dir.resolve("garbage"), "clusters: [unclosed");
        assertThatThrownBy(() -> WatcherRuntime.clientConfig(garbage, null, "n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(garbage.toString());
    }

    @Test
    void apiServerAddressProgrammedAsAServiceIsDetected() throws Exception {
        ServiceTable table = new ServiceTable();
        try (FakeApiServer server = FakeApiServer.start();
                WatcherRuntime runtime = KubernetesSourceFixtures.runtime(
                        KubernetesSourceFixtures.fakeServerClient(server.port()),
                        table,
                        new SimpleMeterRegistry(),
                        SyncObserver.NONE)) {
            server.upsert(service("web", 80, "10.96.0.10"));
            runtime.start();
            await().atMost(TIMEOUT).until(() -> backends(table, "10.96.0.10", 80) != null);
            assertThat(runtime.apiServerBehindOwnFrontend()).isFalse();

            // Like the in-cluster default: the API address is the ClusterIP of the "kubernetes" Service.
            server.upsert(service("kubernetes", server.port(), "127.0.0.1"));
            server.upsert(slice("kubernetes-1", "kubernetes", "127.0.0.1"));
            await().atMost(TIMEOUT).until(runtime::apiServerBehindOwnFrontend);
            await().atMost(TIMEOUT)
                    .untilAsserted(() -> assertThat(backends(table, "127.0.0.1", server.port()))
                            .isEqualTo(List.of("127.0.0.1:8080")));
        }
    }
}
