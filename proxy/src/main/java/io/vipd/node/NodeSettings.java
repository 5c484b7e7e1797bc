package io.vipd.node;

import io.vipd.lb.Cidr;
import io.vipd.nodeport.NodePortAddresses;
import io.vipd.watcher.ApiClientSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code vipd node}'s settings, as the command line merged them over a KubeProxyConfiguration file
 * ({@code io.vipd.cli.NodeSettingsResolver}). Immutable.
 *
 * @param kubeconfig          null for auto-configuration (in-cluster)
 * @param master              API server URL overriding the kubeconfig's, or null
 * @param nodeName            --hostname-override, hostnameOverride, NODE_NAME, or the host name
 * @param clusterCidrs        pod CIDRs (--cluster-cidr)
 * @param nodePortAddresses   where NodePorts and healthCheckNodePorts listen
 * @param healthzBindAddress  null when disabled
 * @param metricsBindAddress  null when disabled
 * @param featureGates        "Name=true,Other=false"
 * @param syncPeriod          kube-proxy's syncPeriod; /healthz turns unhealthy after 2 × this without a sync
 * @param masqueradeAll       backends always see the node's address (--masquerade-all)
 * @param localDetection      how traffic from this node's pods is told apart (--detect-local-mode)
 * @param bindAddress         the node's primary IP of its family (--bind-address), or null to discover it
 * @param bindAddressHardFail a /healthz or /metrics listener that cannot bind stops vipd; else it is retried
 * @param oomScoreAdj         written to /proc/self/oom_score_adj at start; null leaves it
 * @param apiClient           API client rate limit and the full-reconcile period (--config-sync-period)
 * @param proxyMode           the mode kube-proxy was told to use (reported in /configz), "" when unset
 * @param logging             the log format and verbosity in effect (reported in /configz)
 * @param warnings            one line per ignored setting
 */
public record NodeSettings(
        Path kubeconfig,
        String master,
        String nodeName,
        List<Cidr> clusterCidrs,
        NodePortAddresses nodePortAddresses,
        InetSocketAddress healthzBindAddress,
        InetSocketAddress metricsBindAddress,
        String featureGates,
        Duration syncPeriod,
        boolean masqueradeAll,
        LocalDetection localDetection,
        InetAddress bindAddress,
        boolean bindAddressHardFail,
        Integer oomScoreAdj,
        ApiClientSettings apiClient,
        String proxyMode,
        Logging logging,
        List<String> warnings) {
    public static final String DEFAULT_HEALTHZ = "0.0.0.0:10256";
    public static final String DEFAULT_METRICS = "127.0.0.1:10249";
    public static final Duration DEFAULT_SYNC = Duration.ofSeconds(30);

    /** The log settings in effect: "text" or "json", and klog's verbosity. */
    public record Logging(String format, int verbosity) {
        public static final Logging DEFAULT = new Logging("text", 0);
    }

    public NodeSettings {
        clusterCidrs = List.copyOf(clusterCidrs);
        warnings = List.copyOf(warnings);
        localDetection = localDetection == null ? LocalDetection.CLUSTER_CIDR : localDetection;
        apiClient = apiClient == null ? ApiClientSettings.DEFAULTS : apiClient;
        proxyMode = proxyMode == null ? "" : proxyMode;
        logging = logging == null ? Logging.DEFAULT : logging;
    }
}
