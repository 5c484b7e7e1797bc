package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vipd.lb.Addresses;
import io.vipd.node.LocalDetection;
import io.vipd.node.NodeSettings;
import io.vipd.watcher.ApiClientSettings;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class NodeSettingsResolverTest {
    /** Parses {@code vipd node ARGS} as the command line does and resolves it (no file unless given). */
    static NodeSettings resolve(KubeProxyConfiguration file, String... args) {
        NodeCommand cmd = parse(args);
        return NodeSettingsResolver.resolve(cmd.kubeProxy, cmd.logging, file, Map.of("NODE_NAME", "n1"));
    }

    static NodeSettings resolve(String... args) {
        return resolve(null, args);
    }

    static NodeCommand parse(String... args) {
        NodeCommand cmd = new NodeCommand();
        new CommandLine(cmd).setOverwrittenOptionsAllowed(true).parseArgs(args);
        return cmd;
    }

    @Test
    void kubeadmConfigWithNodeNameFromTheEnvironment() throws Exception {
        KubeProxyConfiguration file =
                KubeProxyConfiguration.load(Path.of("src/test/resources/kube-proxy/kubeadm-config.conf"));
        NodeCommand none = parse();
        NodeSettings s =
                NodeSettingsResolver.resolve(none.kubeProxy, none.logging, file, Map.of("NODE_NAME", "Node-A"));
        assertThat(s.nodeName()).isEqualTo("node-a");
        assertThat(s.kubeconfig()).isEqualTo(Path.of("/var/lib/kube-proxy/kubeconfig.conf"));
        assertThat(s.clusterCidrs()).hasToString("[10.244.0.0/16]");
        assertThat(s.nodePortAddresses().primary()).isTrue();
        assertThat(s.healthzBindAddress()).isEqualTo(new InetSocketAddress("0.0.0.0", 10256));
        assertThat(s.metricsBindAddress()).isEqualTo(new InetSocketAddress("127.0.0.1", 10249));
        // bindAddress 0.0.0.0 is kube-proxy's default: discover the primary IP.
        assertThat(s.bindAddress()).isNull();
        assertThat(s.apiClient()).isEqualTo(ApiClientSettings.DEFAULTS);
        assertThat(s.warnings()).isEmpty();
    }

    @Test
    void flagsWinOverTheFile() {
        KubeProxyConfiguration file = KubeProxyConfiguration.parse(
                "hostnameOverride: from-file\nclusterCIDR: 198.18.0.0/16\nmode: ipvs\nhealthzBindAddress: 127.0.0.1:1\n"
                        + "nftables: {masqueradeAll: true}\noomScoreAdj: -999\nconfigSyncPeriod: 15m\n"
                        + "logging: {format: json, verbosity: 4}");
        NodeSettings s = resolve(
                file,
                "--kubeconfig=/k",
                "--hostname-override=from-flag",
                "--cluster-cidr=198.19.0.0/16",
                "--nodeport-addresses=198.18.0.0/15",
                "--healthz-bind-address=",
                "--metrics-bind-address=198.18.0.1",
                "--masquerade-all=false",
                "--oom-score-adj=500",
                "--config-sync-period=2m",
                "--logging-format=text",
                "--v=1");
        assertThat(s.nodeName()).isEqualTo("from-flag");
        assertThat(s.clusterCidrs()).hasToString("[198.19.0.0/16]");
        assertThat(s.healthzBindAddress()).isNull();
        assertThat(s.metricsBindAddress()).isEqualTo(new InetSocketAddress("198.18.0.1", 10249));
        assertThat(s.nodePortAddresses().primary()).isFalse();
        assertThat(s.masqueradeAll()).isFalse();
        assertThat(s.oomScoreAdj()).isEqualTo(500);
        assertThat(s.apiClient().resyncPeriod()).isEqualTo(Duration.ofMinutes(2));
        assertThat(s.logging()).isEqualTo(new NodeSettings.Logging("text", 1));
        assertThat(s.warnings()).anyMatch(w -> w.contains("proxy mode \"ipvs\" is ignored"));
    }

    @Test
    void theFileAloneIsHonouredToo() {
        KubeProxyConfiguration file = KubeProxyConfiguration.parse(String.join(
                "\n",
                "nftables: {masqueradeAll: true, syncPeriod: 10s}",
                "mode: nftables",
                "detectLocalMode: InterfaceNamePrefix",
                "detectLocal: {interfaceNamePrefix: veth}",
                "bindAddress: 198.18.0.7",
                "bindAddressHardFail: true",
                "oomScoreAdj: -999",
                "configSyncPeriod: 15m0s",
                "clientConnection: {qps: 20, burst: 40}",
                "logging: {format: json, verbosity: 4}"));
        NodeSettings s = resolve(file);
        assertThat(s.masqueradeAll()).isTrue();
        assertThat(s.syncPeriod()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.localDetection())
                .isEqualTo(new LocalDetection(LocalDetection.Mode.INTERFACE_NAME_PREFIX, "", "veth"));
        assertThat(s.bindAddress()).isEqualTo(Addresses.parseIp("198.18.0.7"));
        assertThat(s.bindAddressHardFail()).isTrue();
        assertThat(s.oomScoreAdj()).isEqualTo(-999);
        assertThat(s.apiClient()).isEqualTo(new ApiClientSettings(20, 40, Duration.ofMinutes(15)));
        assertThat(s.logging()).isEqualTo(new NodeSettings.Logging("json", 4));
        assertThat(s.warnings()).isEmpty();
    }

    @Test
    void eachHonouredFlagChangesTheSettings() {
        NodeSettings d = resolve();
        assertThat(d.masqueradeAll()).isFalse();
        assertThat(resolve("--masquerade-all").masqueradeAll()).isTrue();
        assertThat(resolve("--masquerade-all=true").masqueradeAll()).isTrue();

        assertThat(d.localDetection().mode()).isEqualTo(LocalDetection.Mode.CLUSTER_CIDR);
        assertThat(resolve("--detect-local-mode=NodeCIDR").localDetection().mode())
                .isEqualTo(LocalDetection.Mode.NODE_CIDR);
        assertThat(resolve("--detect-local-mode=BridgeInterface", "--pod-bridge-interface=cbr0")
                        .localDetection())
                .isEqualTo(new LocalDetection(LocalDetection.Mode.BRIDGE_INTERFACE, "cbr0", ""));
        assertThat(resolve("--detect-local-mode", "InterfaceNamePrefix", "--pod-interface-name-prefix", "cali")
                        .localDetection()
                        .podInterface("cali12ab"))
                .isTrue();

        assertThat(d.oomScoreAdj()).isNull();
        assertThat(resolve("--oom-score-adj=-999").oomScoreAdj()).isEqualTo(-999);

        assertThat(d.apiClient()).isEqualTo(ApiClientSettings.DEFAULTS);
        assertThat(resolve("--kube-api-qps=50", "--kube-api-burst=100").apiClient())
                .isEqualTo(new ApiClientSettings(50, 100, ApiClientSettings.DEFAULTS.resyncPeriod()));
        assertThat(resolve("--config-sync-period=15m").apiClient().resyncPeriod())
                .isEqualTo(Duration.ofMinutes(15));

        assertThat(d.bindAddress()).isNull();
        assertThat(resolve("--bind-address=198.18.0.9").bindAddress()).isEqualTo(Addresses.parseIp("198.18.0.9"));
        assertThat(resolve("--bind-address=0.0.0.0").bindAddress()).isNull();
        assertThat(d.bindAddressHardFail()).isFalse();
        assertThat(resolve("--bind-address-hard-fail").bindAddressHardFail()).isTrue();

        assertThat(d.syncPeriod()).isEqualTo(NodeSettings.DEFAULT_SYNC);
        assertThat(resolve("--iptables-sync-period=1m").syncPeriod()).isEqualTo(Duration.ofMinutes(1));
        assertThat(resolve("--proxy-mode=ipvs", "--ipvs-sync-period=45s", "--iptables-sync-period=1m")
                        .syncPeriod())
                .isEqualTo(Duration.ofSeconds(45));

        assertThat(resolve("--healthz-port=0").healthzBindAddress()).isNull();
        assertThat(resolve("--metrics-port=10999").metricsBindAddress())
                .isEqualTo(new InetSocketAddress("127.0.0.1", 10999));

        assertThat(d.logging()).isEqualTo(NodeSettings.Logging.DEFAULT);
        assertThat(resolve("-v", "4", "--logging-format=json").logging())
                .isEqualTo(new NodeSettings.Logging("json", 4));
        assertThat(resolve("--v=2").logging().verbosity()).isEqualTo(2);
    }

    @Test
    void theContentTypeIsWarnedAboutUnlessJson() {
        assertThat(resolve("--kube-api-content-type=application/json").warnings())
                .noneMatch(w -> w.contains("content-type"));
        assertThat(resolve("--kube-api-content-type=application/vnd.kubernetes.protobuf")
                        .warnings())
                .anyMatch(w -> w.contains("kube-api-content-type application/vnd.kubernetes.protobuf is ignored"));
    }

    @Test
    void badValuesNameTheSetting() {
        assertThatThrownBy(() -> resolve("--cluster-cidr=nope")).hasMessageStartingWith("cluster-cidr:");
        assertThatThrownBy(() -> resolve("--healthz-bind-address=1.2.3.4:http"))
                .hasMessageStartingWith("healthz-bind-address:");
        assertThatThrownBy(() -> resolve("--detect-local-mode=Pods")).hasMessageStartingWith("detect-local-mode:");
        assertThatThrownBy(() -> resolve("--detect-local-mode=BridgeInterface"))
                .hasMessageContaining("--pod-bridge-interface");
        assertThatThrownBy(() -> resolve("--detect-local-mode=InterfaceNamePrefix"))
                .hasMessageContaining("--pod-interface-name-prefix");
        assertThatThrownBy(() -> resolve("--oom-score-adj=-1001")).hasMessageStartingWith("oom-score-adj:");
        assertThatThrownBy(() -> resolve("--config-sync-period=0")).hasMessageStartingWith("config-sync-period:");
        assertThatThrownBy(() -> resolve("--iptables-sync-period=0s")).hasMessageStartingWith("iptables-sync-period:");
        assertThatThrownBy(() -> resolve("--bind-address=node")).hasMessageStartingWith("bind-address:");
        assertThatThrownBy(() -> resolve("--logging-format=xml")).hasMessageStartingWith("logging-format:");
    }
}
