package io.vipd.node;

import io.vipd.lb.Cidr;
import io.vipd.nodeport.NodePortAddresses;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code vipd node}'s settings, as the command line merged them over a KubeProxyConfiguration file
 * ({@code io.vipd.cli.NodeSettingsResolver}). Immutable.
 *
 * @param kubeconfig         null for auto-configuration (in-cluster)
 * @param master             API server URL overriding the kubeconfig's, or null
 * @param nodeName           --hostname-override, hostnameOverride, NODE_NAME, or the host name
 * @param clusterCidrs       pod CIDRs
 * @param nodePortAddresses  where NodePorts and healthCheckNodePorts listen
 * @param healthzBindAddress null when disabled
 * @param metricsBindAddress null when disabled
 * @param featureGates       "Name=true,Other=false"
 * @param syncPeriod         kube-proxy's syncPeriod; /healthz turns unhealthy after 2 × this without a sync
 * @param warnings           one line per ignored setting
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
        List<String> warnings) {
    public static final String DEFAULT_HEALTHZ = "0.0.0.0:10256";
    public static final String DEFAULT_METRICS = "127.0.0.1:10249";
    public static final Duration DEFAULT_SYNC = Duration.ofSeconds(30);

    public NodeSettings {
        clusterCidrs = List.copyOf(clusterCidrs);
        warnings = List.copyOf(warnings);
    }
}
