package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vipd.node.LocalDetection;
import io.vipd.node.NodeSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vipd node} takes a kube-proxy DaemonSet's arguments as they are. */
class NodeCommandKubeProxyFlagsTest {
    /**
     * The arguments of real kube-proxy DaemonSets: kubeadm's, a GKE-style one (NodeCIDR, --v=2, iptables and
     * conntrack tuning) and a kOps-style one (klog's file flags), run together.
     */
    private static final List<String> DAEMONSET_ARGS = List.of(
            "--config=/var/lib/kube-proxy/config.conf",
            "--hostname-override=node-1",
            "--master=https://198.18.0.1:443",
            "--kubeconfig=/var/lib/kube-proxy/kubeconfig",
            "--cluster-cidr=198.18.128.0/17",
            "--oom-score-adj=-998",
            "--v=2",
            "--iptables-sync-period=1m",
            "--iptables-min-sync-period=10s",
            "--ipvs-sync-period=1m",
            "--ipvs-min-sync-period=10s",
            "--detect-local-mode=NodeCIDR",
            "--conntrack-max-per-core=131072",
            "--conntrack-min=131072",
            "--conntrack-tcp-timeout-established=24h0m0s",
            "--conntrack-tcp-timeout-close-wait=1h0m0s",
            "--conntrack-tcp-be-liberal",
            "--conntrack-udp-timeout=30s",
            "--conntrack-udp-timeout-stream=2m",
            "--iptables-masquerade-bit=14",
            "--iptables-localhost-nodeports=false",
            "--ipvs-scheduler=rr",
            "--ipvs-exclude-cidrs=198.18.0.0/24,198.18.1.0/24",
            "--ipvs-strict-arp",
            "--ipvs-tcp-timeout=0s",
            "--ipvs-tcpfin-timeout=0s",
            "--ipvs-udp-timeout=0s",
            "--masquerade-all=false",
            "--proxy-mode=iptables",
            "--feature-gates=AllAlpha=false",
            "--healthz-bind-address=0.0.0.0:10256",
            "--metrics-bind-address=0.0.0.0:10249",
            "--bind-address=0.0.0.0",
            "--bind-address-hard-fail=false",
            "--kube-api-qps=20",
            "--kube-api-burst=40",
            "--kube-api-content-type=application/vnd.kubernetes.protobuf",
            "--config-sync-period=15m0s",
            "--nodeport-addresses=primary",
            "--profiling=false",
            "--show-hidden-metrics-for-version=1.32",
            "--logging-format=text",
            "--vmodule=proxier*=4",
            "--log-flush-frequency=5s",
            "--log-text-split-stream",
            "--log-text-info-buffer-size=0",
            "--log-json-split-stream=false",
            "--log-json-info-buffer-size=0",
            "--logtostderr=false",
            "--alsologtostderr",
            "--log-file=/var/log/kube-proxy.log",
            "--log_file_max_size=1800",
            "--skip_headers",
            "--one-output=true",
            "--stderrthreshold=2",
            "--add_dir_header=false",
            "--log_backtrace_at=:0",
            "--log-dir=/var/log",
            "--skip-log-headers");

    @Test
    void aKubeProxyDaemonSetsArgumentsParseAndApply() {
        List<String> args =
                DAEMONSET_ARGS.stream().filter(a -> !a.startsWith("--config=")).toList();
        NodeSettings s = NodeSettingsResolverTest.resolve(args.toArray(String[]::new));
        assertThat(s.nodeName()).isEqualTo("node-1");
        assertThat(s.oomScoreAdj()).isEqualTo(-998);
        assertThat(s.syncPeriod()).isEqualTo(Duration.ofMinutes(1));
        assertThat(s.localDetection().mode()).isEqualTo(LocalDetection.Mode.NODE_CIDR);
        assertThat(s.apiClient().qps()).isEqualTo(20f);
        assertThat(s.apiClient().resyncPeriod()).isEqualTo(Duration.ofMinutes(15));
        assertThat(s.logging().verbosity()).isEqualTo(2);
    }

    @Test
    void theIgnoredFlagsGivenAreListedOnceEach() {
        NodeCommand cmd = NodeSettingsResolverTest.parse(
                "--conntrack-min=1", "--iptables-masquerade-bit=14", "--conntrack-min=2", "--masquerade-all");
        assertThat(cmd.givenIgnoredFlags()).containsExactly("--conntrack-min", "--iptables-masquerade-bit");
        assertThat(NodeSettingsResolverTest.parse(DAEMONSET_ARGS.toArray(String[]::new))
                        .givenIgnoredFlags())
                .contains("--conntrack-max-per-core", "--ipvs-scheduler", "--vmodule", "--log_file")
                .doesNotContain("--v", "--oom-score-adj", "--masquerade-all", "--detect-local-mode")
                .doesNotHaveDuplicates();
    }

    @Test
    void aFlagKubeProxyDoesNotHaveIsStillAnError() {
        StringWriter err = new StringWriter();
        int code = Main.run(
                new PrintWriter(new StringWriter()),
                new PrintWriter(err),
                "node",
                "--conntrack-min=1",
                "--iptables-turbo=true");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option: '--iptables-turbo=true'");
    }

    @Test
    void aBadValueOfAnIgnoredFlagIsAnError() {
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "node", "--conntrack-min=many");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--conntrack-min");
    }

    @Test
    void writeConfigToWritesTheEffectiveConfigurationAndExits(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("config.yaml");
        int code = Main.run(
                new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter()),
                "node",
                "--write-config-to=" + out,
                "--hostname-override=node-1",
                "--cluster-cidr=198.18.128.0/17",
                "--masquerade-all",
                "--detect-local-mode=BridgeInterface",
                "--pod-bridge-interface=cbr0",
                "--oom-score-adj=-999",
                "--kube-api-qps=7",
                "--config-sync-period=15m",
                "--iptables-sync-period=10s",
                "--metrics-bind-address=0.0.0.0:10249",
                "--v=3");
        assertThat(code).isZero();
        // What vipd writes, vipd reads back to the same settings, with nothing it would ignore.
        KubeProxyConfiguration back = KubeProxyConfiguration.parse(Files.readString(out));
        assertThat(back.ignored()).isEmpty();
        NodeSettings s = NodeSettingsResolverTest.resolve(back);
        assertThat(s.nodeName()).isEqualTo("node-1");
        assertThat(s.clusterCidrs()).hasToString("[198.18.128.0/17]");
        assertThat(s.masqueradeAll()).isTrue();
        assertThat(s.localDetection()).isEqualTo(new LocalDetection(LocalDetection.Mode.BRIDGE_INTERFACE, "cbr0", ""));
        assertThat(s.oomScoreAdj()).isEqualTo(-999);
        assertThat(s.apiClient().qps()).isEqualTo(7f);
        assertThat(s.apiClient().resyncPeriod()).isEqualTo(Duration.ofMinutes(15));
        assertThat(s.syncPeriod()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.metricsBindAddress()).hasToString("/0.0.0.0:10249");
        assertThat(s.logging()).isEqualTo(new NodeSettings.Logging("text", 3));
    }

    @Test
    void initOnlyExitsAtOnce() {
        assertThat(Main.run(
                        new PrintWriter(new StringWriter()),
                        new PrintWriter(new StringWriter()),
                        "node",
                        "--init-only",
                        "--hostname-override=n"))
                .isZero();
    }
}
