package io.vipd.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The kube-proxy flags {@code vipd node} honours, under kube-proxy's names and meanings. Each is null when not
 * given, so that {@link NodeSettingsResolver} can tell "not given" (the file's value, then kube-proxy's default)
 * from a given value. Boolean flags take an optional value ({@code --masquerade-all}, {@code --masquerade-all=false})
 * as Go's flags do.
 */
public final class KubeProxyFlags {
    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "kubeconfig with the API server's real address")
    Path kubeconfig;

    @Option(names = "--master", paramLabel = "URL", description = "API server URL, overriding the kubeconfig's")
    String master;

    @Option(
            names = "--hostname-override",
            paramLabel = "NAME",
            description = "this node's name (default: NODE_NAME, else the host name)")
    String hostnameOverride;

    @Option(names = "--cluster-cidr", paramLabel = "CIDRS", description = "pod CIDR(s), comma-separated")
    String clusterCidr;

    @Option(
            names = "--detect-local-mode",
            paramLabel = "MODE",
            description = "how traffic from this node's pods is recognised: ClusterCIDR (--cluster-cidr, default), "
                    + "NodeCIDR (the Node's spec.podCIDRs), BridgeInterface, InterfaceNamePrefix")
    String detectLocalMode;

    @Option(
            names = "--pod-bridge-interface",
            paramLabel = "NAME",
            description = "BridgeInterface: the bridge this node's pods are behind")
    String podBridgeInterface;

    @Option(
            names = "--pod-interface-name-prefix",
            paramLabel = "PREFIX",
            description = "InterfaceNamePrefix: the name prefix of this node's pod interfaces")
    String podInterfaceNamePrefix;

    @Option(
            names = "--nodeport-addresses",
            paramLabel = "CIDRS",
            split = ",",
            description = "node addresses NodePorts listen on: CIDRs and/or 'primary' (default: primary)")
    List<String> nodePortAddresses;

    @Option(
            names = "--bind-address",
            paramLabel = "IP",
            description = "this node's primary IP of its family (for --nodeport-addresses primary); "
                    + "0.0.0.0 or :: discovers it")
    String bindAddress;

    @Option(
            names = "--bind-address-hard-fail",
            paramLabel = "BOOL",
            arity = "0..1",
            fallbackValue = "true",
            description = "exit when /healthz or /metrics cannot bind (default: log and retry every 5 s)")
    Boolean bindAddressHardFail;

    @Option(
            names = "--healthz-bind-address",
            paramLabel = "IP:PORT",
            description = "/healthz and /livez (default 0.0.0.0:10256; empty: off)")
    String healthzBindAddress;

    @Option(names = "--healthz-port", paramLabel = "PORT", description = "deprecated: the port of /healthz; 0: off")
    Integer healthzPort;

    @Option(
            names = "--metrics-bind-address",
            paramLabel = "IP:PORT",
            description = "/metrics, /services, /proxyMode, /configz (default 127.0.0.1:10249; empty: off)")
    String metricsBindAddress;

    @Option(names = "--metrics-port", paramLabel = "PORT", description = "deprecated: the port of /metrics; 0: off")
    Integer metricsPort;

    @Option(names = "--feature-gates", paramLabel = "GATES", description = "Name=true,Other=false")
    String featureGates;

    @Option(
            names = "--proxy-mode",
            paramLabel = "MODE",
            description = "accepted for kube-proxy compatibility; vipd always uses nftables TPROXY")
    String proxyMode;

    @Option(
            names = "--masquerade-all",
            paramLabel = "BOOL",
            arity = "0..1",
            fallbackValue = "true",
            description = "backends always see the node's address, as with --source-ip=node")
    Boolean masqueradeAll;

    @Option(
            names = "--oom-score-adj",
            paramLabel = "N",
            description = "write N (-1000..1000) to /proc/self/oom_score_adj at start")
    Integer oomScoreAdj;

    @Option(names = "--kube-api-qps", paramLabel = "QPS", description = "API requests per second (default 5)")
    Float kubeApiQps;

    @Option(names = "--kube-api-burst", paramLabel = "N", description = "API requests in a burst (default 10)")
    Integer kubeApiBurst;

    @Option(
            names = "--kube-api-content-type",
            paramLabel = "TYPE",
            description = "accepted for kube-proxy compatibility; vipd's client speaks application/json")
    String kubeApiContentType;

    @Option(
            names = "--config-sync-period",
            paramLabel = "DURATION",
            converter = GoDurationConverter.class,
            description = "how often the whole table is reconciled with the API server's state (default 1h)")
    Duration configSyncPeriod;

    @Option(
            names = "--iptables-sync-period",
            paramLabel = "DURATION",
            converter = GoDurationConverter.class,
            description = "syncPeriod, unless --proxy-mode is ipvs: how often nftables is verified, and half of "
                    + "how long /healthz tolerates no sync (default 30s)")
    Duration iptablesSyncPeriod;

    @Option(
            names = "--ipvs-sync-period",
            paramLabel = "DURATION",
            converter = GoDurationConverter.class,
            description = "syncPeriod when --proxy-mode is ipvs")
    Duration ipvsSyncPeriod;

    @Option(
            names = "--write-config-to",
            paramLabel = "FILE",
            description = "write the effective KubeProxyConfiguration to FILE and exit")
    Path writeConfigTo;

    @Option(
            names = "--init-only",
            paramLabel = "BOOL",
            arity = "0..1",
            fallbackValue = "true",
            description = "exit at once: vipd needs no privileged initialisation step")
    Boolean initOnly;
}
