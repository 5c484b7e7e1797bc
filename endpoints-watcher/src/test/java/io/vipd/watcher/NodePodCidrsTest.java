package io.vipd.watcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NodePodCidrsTest {
    private static KubernetesClient client(FakeApiServer api) {
        return WatcherRuntime.client(null, api.url(), "node-a", ApiClientSettings.DEFAULTS);
    }

    @Test
    void waitsForTheNodesPodCidrs() throws Exception {
        try (FakeApiServer api = FakeApiServer.start();
                KubernetesClient client = client(api)) {
            api.upsert(new NodeBuilder()
                    .withNewMetadata()
                    .withName("node-a")
                    .endMetadata()
                    .build());
            CompletableFuture<Object> cidrs = CompletableFuture.supplyAsync(() -> {
                try {
                    return NodePodCidrs.await(client, "node-a", Duration.ofSeconds(20), Duration.ofMillis(50));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            // The node-ipam controller assigns the CIDRs after the Node registered.
            api.upsert(new NodeBuilder()
                    .withNewMetadata()
                    .withName("node-a")
                    .endMetadata()
                    .withNewSpec()
                    .withPodCIDR("198.18.128.0/24")
                    .withPodCIDRs("198.18.128.0/24", "2001:2:0:80::/64")
                    .endSpec()
                    .build());
            assertThat(cidrs.get(20, TimeUnit.SECONDS)).hasToString("[198.18.128.0/24, 2001:2:0:80::/64]");
        }
    }

    @Test
    void givesUpNamingTheNode() throws Exception {
        try (FakeApiServer api = FakeApiServer.start();
                KubernetesClient client = client(api)) {
            api.upsert(new NodeBuilder()
                    .withNewMetadata()
                    .withName("node-a")
                    .endMetadata()
                    .build());
            assertThatThrownBy(
                            () -> NodePodCidrs.await(client, "node-a", Duration.ofMillis(200), Duration.ofMillis(50)))
                    .hasMessageContaining("Node node-a")
                    .hasMessageContaining("no spec.podCIDRs");
        }
    }
}
