package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KubeProxyConfigurationTest {
    @Test
    void readsKubeadmsConfigMapAsItIs() throws Exception {
        KubeProxyConfiguration c =
                KubeProxyConfiguration.load(Path.of("src/test/resources/kube-proxy/kubeadm-config.conf"));
        assertThat(c.kubeconfig()).isEqualTo("/var/lib/kube-proxy/kubeconfig.conf");
        assertThat(c.clusterCidr()).isEqualTo("10.244.0.0/16");
        assertThat(c.hostnameOverride()).isEmpty();
        assertThat(c.healthzBindAddress()).isEmpty();
        assertThat(c.nodePortAddresses()).isNull();
        assertThat(c.minSyncPeriod()).isEqualTo(Duration.ZERO);
        // Set fields that do not apply: one warning each; unset ones (null, "", 0s, false) are not listed.
        // kubeadm writes every field, most at Go's zero value; only bindAddress (honoured) is really set.
        assertThat(c.ignored()).isEmpty();
        assertThat(c.bindAddress()).isEqualTo("0.0.0.0");
        assertThat(c.masqueradeAll()).isFalse();
        assertThat(c.oomScoreAdj()).isNull();
        assertThat(c.configSyncPeriod()).isNull();
        assertThat(c.client()).isEqualTo(new KubeProxyConfiguration.ClientConnection(null, null, null));
        assertThat(c.logging()).isEqualTo(new KubeProxyConfiguration.Logging(null, null));
    }

    @Test
    void readsTheFieldsThatApply() {
        KubeProxyConfiguration c = KubeProxyConfiguration.parse(String.join(
                "\n",
                "apiVersion: kubeproxy.config.k8s.io/v1alpha1",
                "kind: KubeProxyConfiguration",
                "hostnameOverride: node-a",
                "clusterCIDR: 198.18.128.0/17,fd00::/48",
                "nodePortAddresses: [198.18.0.0/24, primary]",
                "healthzBindAddress: 0.0.0.0:10256",
                "metricsBindAddress: 127.0.0.1:10249",
                "featureGates: {PreferSameTrafficDistribution: true}",
                "mode: nftables",
                "nftables: {minSyncPeriod: 500ms, syncPeriod: 1m30s, masqueradeAll: true}",
                "conntrack: {maxPerCore: 32768}"));
        assertThat(c.hostnameOverride()).isEqualTo("node-a");
        assertThat(c.nodePortAddresses()).containsExactly("198.18.0.0/24", "primary");
        assertThat(c.featureGates()).isEqualTo(Map.of("PreferSameTrafficDistribution", true));
        assertThat(c.minSyncPeriod()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.syncPeriod()).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.masqueradeAll()).isTrue();
        assertThat(c.ignored()).isEqualTo(List.of("conntrack", "nftables.minSyncPeriod"));
    }

    @Test
    void theShippedConfigMapIsValidAndFullyHonoured() throws Exception {
        String text = java.nio.file.Files.readString(Path.of("../deploy/overlays/vipd-system/config.conf"));
        KubeProxyConfiguration c = KubeProxyConfiguration.parse(text);
        assertThat(c.ignored()).isEmpty();
        assertThat(c.kubeconfig()).isEqualTo("/var/lib/kube-proxy/kubeconfig.conf");
        assertThat(NodeSettingsResolverTest.resolve(c).warnings()).isEmpty();
    }

    @Test
    void badInputNamesTheField() {
        assertThatThrownBy(() -> KubeProxyConfiguration.parse("kind: Pod"))
                .hasMessageContaining("kind: want KubeProxyConfiguration");
        assertThatThrownBy(() -> KubeProxyConfiguration.parse("nftables: {minSyncPeriod: soon}"))
                .hasMessageContaining("nftables.minSyncPeriod")
                .hasMessageContaining("soon");
        assertThatThrownBy(() -> KubeProxyConfiguration.parse("nodePortAddresses: primary"))
                .hasMessageContaining("nodePortAddresses: want a list");
        assertThatThrownBy(() -> KubeProxyConfiguration.parse("featureGates: {A: maybe}"))
                .hasMessageContaining("featureGates.A");
        assertThatThrownBy(() -> KubeProxyConfiguration.parse("iptables: {masqueradeAll: sometimes}"))
                .hasMessageContaining("iptables.masqueradeAll");
        assertThatThrownBy(() -> KubeProxyConfiguration.parse("oomScoreAdj: low"))
                .hasMessageContaining("oomScoreAdj: want an integer");
        assertThatThrownBy(() -> KubeProxyConfiguration.parse("clientConnection: {qps: fast}"))
                .hasMessageContaining("clientConnection.qps");
    }

    @Test
    void theFieldsOnceIgnoredAreRead() {
        KubeProxyConfiguration c = KubeProxyConfiguration.parse(String.join(
                "\n",
                "iptables: {masqueradeAll: true, masqueradeBit: 14}",
                "detectLocalMode: BridgeInterface",
                "detectLocal: {bridgeInterface: cbr0}",
                "udpIdleTimeout: 250ms",
                "logging: {format: json, verbosity: 2, flushFrequency: 5s, vmodule: [{file: a, verbosity: 4}]}",
                "clientConnection: {acceptContentTypes: application/json, contentType: application/json, qps: 7, "
                        + "burst: 9}"));
        assertThat(c.masqueradeAll()).isTrue();
        assertThat(c.detectLocalMode()).isEqualTo("BridgeInterface");
        assertThat(c.bridgeInterface()).isEqualTo("cbr0");
        assertThat(c.udpIdleTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.logging()).isEqualTo(new KubeProxyConfiguration.Logging("json", 2));
        assertThat(c.client()).isEqualTo(new KubeProxyConfiguration.ClientConnection(7f, 9, "application/json"));
        assertThat(c.ignored())
                .containsExactly(
                        "clientConnection.acceptContentTypes",
                        "iptables.masqueradeBit",
                        "logging.flushFrequency",
                        "logging.vmodule");
    }
}
