package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vipd.node.NodeSettings;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeSettingsResolverTest {
    private static final NodeSettingsResolver.Flags NO_FLAGS =
            new NodeSettingsResolver.Flags(null, null, null, null, null, null, null, null, null);

    @Test
    void kubeadmConfigWithNodeNameFromTheEnvironment() throws Exception {
        KubeProxyConfiguration file =
                KubeProxyConfiguration.load(Path.of("src/test/resources/kube-proxy/kubeadm-config.conf"));
        NodeSettings s = NodeSettingsResolver.resolve(NO_FLAGS, file, Map.of("NODE_NAME", "Node-A"));
        assertThat(s.nodeName()).isEqualTo("node-a");
        assertThat(s.kubeconfig()).isEqualTo(Path.of("/var/lib/kube-proxy/kubeconfig.conf"));
        assertThat(s.clusterCidrs()).hasToString("[10.244.0.0/16]");
        assertThat(s.nodePortAddresses().primary()).isTrue();
        assertThat(s.healthzBindAddress()).isEqualTo(new InetSocketAddress("0.0.0.0", 10256));
        assertThat(s.metricsBindAddress()).isEqualTo(new InetSocketAddress("127.0.0.1", 10249));
        assertThat(s.warnings())
                .containsExactly("KubeProxyConfiguration field bindAddress does not apply to vipd and is ignored");
    }

    @Test
    void flagsWinOverTheFile() {
        KubeProxyConfiguration file = KubeProxyConfiguration.parse(
                "hostnameOverride: from-file\nclusterCIDR: 198.18.0.0/16\nmode: ipvs\nhealthzBindAddress: 127.0.0.1:1");
        NodeSettings s = NodeSettingsResolver.resolve(
                new NodeSettingsResolver.Flags(
                        Path.of("/k"),
                        null,
                        "from-flag",
                        "198.19.0.0/16",
                        List.of("198.18.0.0/15"),
                        "",
                        "198.18.0.1",
                        null,
                        null),
                file,
                Map.of());
        assertThat(s.nodeName()).isEqualTo("from-flag");
        assertThat(s.clusterCidrs()).hasToString("[198.19.0.0/16]");
        assertThat(s.healthzBindAddress()).isNull();
        assertThat(s.metricsBindAddress()).isEqualTo(new InetSocketAddress("198.18.0.1", 10249));
        assertThat(s.nodePortAddresses().primary()).isFalse();
        assertThat(s.warnings()).anyMatch(w -> w.contains("proxy mode \"ipvs\" is ignored"));
    }

    @Test
    void badValuesNameTheSetting() {
        assertThatThrownBy(() -> NodeSettingsResolver.resolve(
                        new NodeSettingsResolver.Flags(null, null, "n", "nope", null, null, null, null, null),
                        null,
                        Map.of()))
                .hasMessageStartingWith("cluster-cidr:");
        assertThatThrownBy(() -> NodeSettingsResolver.resolve(
                        new NodeSettingsResolver.Flags(null, null, "n", null, null, "1.2.3.4:http", null, null, null),
                        null,
                        Map.of()))
                .hasMessageStartingWith("healthz-bind-address:");
    }
}
