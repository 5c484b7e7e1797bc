package io.vipd.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vipd.admin.Json;
import io.vipd.lb.Cidr;
import io.vipd.nodeport.NodePortAddresses;
import io.vipd.watcher.ApiClientSettings;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EffectiveKubeProxyConfigurationTest {
    static NodeSettings settings() {
        return new NodeSettings(
                Path.of("/var/lib/kube-proxy/kubeconfig.conf"),
                null,
                "node-a",
                List.of(Cidr.parse("198.18.128.0/17")),
                NodePortAddresses.parse(List.of("primary", "198.18.64.0/24")),
                new InetSocketAddress("0.0.0.0", 10256),
                null,
                "TopologyAwareHints=true",
                Duration.ofSeconds(30),
                true,
                new LocalDetection(LocalDetection.Mode.BRIDGE_INTERFACE, "cbr0", ""),
                null,
                false,
                -999,
                new ApiClientSettings(5, 10, Duration.ofMinutes(15)),
                "nftables",
                new NodeSettings.Logging("json", 2),
                List.of());
    }

    @Test
    void configzNestsTheConfigurationUnderKubeProxysGroup() {
        Map<String, Object> body = Json.read(Json.write(EffectiveKubeProxyConfiguration.configz(settings())));
        assertThat(body).containsOnlyKeys("kubeproxy.config.k8s.io");
        @SuppressWarnings("unchecked")
        Map<String, Object> c = (Map<String, Object>) body.get("kubeproxy.config.k8s.io");
        assertThat(c)
                .containsEntry("hostnameOverride", "node-a")
                .containsEntry("clusterCIDR", "198.18.128.0/17")
                .containsEntry("healthzBindAddress", "0.0.0.0:10256")
                .containsEntry("metricsBindAddress", "")
                .containsEntry("detectLocalMode", "BridgeInterface")
                .containsEntry("configSyncPeriod", "15m0s")
                .containsEntry("mode", "nftables")
                .containsEntry("nodePortAddresses", List.of("primary", "198.18.64.0/24"))
                .containsEntry("featureGates", Map.of("TopologyAwareHints", true))
                .doesNotContainKey("apiVersion");
        assertThat(c.get("nftables")).isEqualTo(Map.of("masqueradeAll", true, "syncPeriod", "30s"));
        Map<?, ?> logging = (Map<?, ?>) c.get("logging");
        assertThat(logging.get("format")).isEqualTo("json");
        assertThat(((Number) logging.get("verbosity")).intValue()).isEqualTo(2);
    }

    @Test
    void goDurationsAreWrittenAsGoWritesThem() {
        assertThat(EffectiveKubeProxyConfiguration.goDuration(Duration.ZERO)).isEqualTo("0s");
        assertThat(EffectiveKubeProxyConfiguration.goDuration(Duration.ofMillis(500)))
                .isEqualTo("500ms");
        assertThat(EffectiveKubeProxyConfiguration.goDuration(Duration.ofSeconds(30)))
                .isEqualTo("30s");
        assertThat(EffectiveKubeProxyConfiguration.goDuration(Duration.ofMinutes(15)))
                .isEqualTo("15m0s");
        assertThat(EffectiveKubeProxyConfiguration.goDuration(Duration.ofHours(1)))
                .isEqualTo("1h0m0s");
        assertThat(EffectiveKubeProxyConfiguration.goDuration(Duration.ofMillis(90_500)))
                .isEqualTo("1m30.5s");
    }

    @Test
    void oomScoreAdjIsWrittenAndCheckedForRange(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("oom_score_adj");
        OomScore.apply(-999, file);
        assertThat(Files.readString(file)).isEqualTo("-999");
        assertThatThrownBy(() -> OomScore.apply(1001, file)).hasMessageContaining("outside -1000..1000");
    }
}
