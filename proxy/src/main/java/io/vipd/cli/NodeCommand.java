package io.vipd.cli;

import io.vipd.admin.AdminBindException;
import io.vipd.handover.HandoverException;
import io.vipd.node.NodeRuntime;
import io.vipd.node.NodeSettings;
import io.vipd.nodeport.interception.InterceptionConfig;
import io.vipd.proxy.ListenerException;
import io.vipd.proxy.ProxyConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vipd node}: replaces kube-proxy on this node. Flags keep kube-proxy's names and meanings where they
 * apply; {@code --config} takes kube-proxy's KubeProxyConfiguration file, and a flag given on the command line
 * wins over the file.
 */
@Command(
        name = "node",
        mixinStandardHelpOptions = true,
        description = {
            "Replace kube-proxy on this node: watch Services and EndpointSlices, intercept ClusterIP, "
                    + "externalIP, LoadBalancer and NodePort traffic with nftables TPROXY, and forward it.",
            "Needs CAP_NET_ADMIN (nftables, policy routing, IP_TRANSPARENT)."
        })
public final class NodeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(NodeCommand.class);

    @Spec
    CommandSpec spec;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "a KubeProxyConfiguration file (kubeadm's kube-proxy ConfigMap works)")
    Path config;

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
            names = "--nodeport-addresses",
            paramLabel = "CIDRS",
            split = ",",
            description = "node addresses NodePorts listen on: CIDRs and/or 'primary' (default: primary)")
    List<String> nodePortAddresses;

    @Option(
            names = "--healthz-bind-address",
            paramLabel = "IP:PORT",
            description = "/healthz and /livez (default 0.0.0.0:10256; empty: off)")
    String healthzBindAddress;

    @Option(
            names = "--metrics-bind-address",
            paramLabel = "IP:PORT",
            description = "/metrics (default 127.0.0.1:10249; empty: off)")
    String metricsBindAddress;

    @Option(names = "--feature-gates", paramLabel = "GATES", description = "Name=true,Other=false")
    String featureGates;

    @Option(
            names = "--proxy-mode",
            paramLabel = "MODE",
            description = "accepted for kube-proxy compatibility; vipd always uses nftables TPROXY")
    String proxyMode;

    @Option(
            names = "--tproxy-port",
            paramLabel = "PORT",
            defaultValue = "" + InterceptionConfig.DEFAULT_PORT,
            description = "port of the transparent TCP and UDP listeners (default ${DEFAULT-VALUE})")
    int tproxyPort;

    @Option(
            names = "--shutdown-grace",
            paramLabel = "DURATION",
            defaultValue = "10s",
            description = "on SIGTERM, how long established connections may finish (default ${DEFAULT-VALUE})")
    String shutdownGrace;

    @Option(
            names = "--source-ip",
            paramLabel = "node|client",
            defaultValue = "client",
            description = "what address backends see: 'client' keeps the client's address where replies surely "
                    + "come back through this node (pods on this node, externalTrafficPolicy Local), else the "
                    + "node's; 'node' always the node's (default ${DEFAULT-VALUE}; falls back to node with a "
                    + "warning when the kernel cannot)")
    String sourceIp;

    @Option(
            names = "--state-dir",
            paramLabel = "DIR",
            defaultValue = "/run/vipd",
            description = "the hand-over socket and the table snapshot: a vipd node started on the same directory "
                    + "takes this one's listening sockets over, and a restart serves the last table before the "
                    + "API server answers (default ${DEFAULT-VALUE}; empty: neither)")
    String stateDir;

    @Mixin
    ForwardingOptions forwarding;

    @Option(names = "--cleanup", description = "remove the nftables table and routes vipd installed, then exit")
    boolean cleanup;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        if (cleanup) {
            return CleanupCommand.cleanup(spec.commandLine().getOut(), err);
        }
        if (!sourceIp.equals("node") && !sourceIp.equals("client")) {
            return usage(err, "--source-ip " + sourceIp + ": expected node or client");
        }
        ProxyConfig proxyConfig;
        try {
            proxyConfig = forwarding.applyTo(ProxyConfig.defaults());
        } catch (IllegalArgumentException e) {
            return usage(err, e.getMessage());
        }
        NodeSettings settings;
        Duration grace;
        try {
            KubeProxyConfiguration file = config == null ? null : KubeProxyConfiguration.load(config);
            settings = NodeSettingsResolver.resolve(
                    new NodeSettingsResolver.Flags(
                            kubeconfig,
                            master,
                            hostnameOverride,
                            clusterCidr,
                            nodePortAddresses,
                            healthzBindAddress,
                            metricsBindAddress,
                            featureGates,
                            proxyMode),
                    file,
                    System.getenv());
            grace = KubeProxyConfiguration.parseDuration(shutdownGrace, "--shutdown-grace");
        } catch (IOException | IllegalArgumentException e) {
            return usage(err, e.getMessage());
        }
        if (tproxyPort < 1 || tproxyPort > 65535) {
            return usage(err, "--tproxy-port " + tproxyPort + " outside 1..65535");
        }
        for (String w : settings.warnings()) {
            log.atWarn().log(w);
        }
        CompletableFuture<String> signal = TerminationSignal.install();
        HangupSignal.ignore("vipd node does not reload; restart it to apply changed flags or --config");
        NodeRuntime runtime;
        try {
            runtime = NodeRuntime.start(
                    settings,
                    tproxyPort,
                    sourceIp.equals("client"),
                    proxyConfig,
                    stateDir.isEmpty() ? null : Path.of(stateDir));
        } catch (IllegalArgumentException | AdminBindException | ListenerException e) {
            return usage(err, e.getMessage());
        } catch (HandoverException e) {
            err.println("vipd node: cannot take over from the running vipd node: " + e.getMessage());
            err.flush();
            return 1;
        } catch (IOException e) {
            err.println("vipd node: " + e.getMessage());
            err.flush();
            return 1;
        }
        try {
            CompletableFuture.anyOf(signal, runtime.failed()).get();
            runtime.shutdown(grace).get();
            return 0;
        } catch (ExecutionException e) {
            err.println("vipd node: " + e.getCause().getMessage());
            err.flush();
            return 1;
        } finally {
            runtime.close();
        }
    }

    private static int usage(PrintWriter err, String message) {
        err.println("vipd node: " + message);
        err.flush();
        return 2;
    }
}
