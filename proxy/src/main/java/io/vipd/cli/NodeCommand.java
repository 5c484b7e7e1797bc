package io.vipd.cli;

import io.vipd.admin.AdminBindException;
import io.vipd.handover.HandoverException;
import io.vipd.node.EffectiveKubeProxyConfiguration;
import io.vipd.node.NodeRuntime;
import io.vipd.node.NodeSettings;
import io.vipd.node.OomScore;
import io.vipd.nodeport.interception.InterceptionConfig;
import io.vipd.proxy.ListenerException;
import io.vipd.proxy.ProxyConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
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
            "Needs CAP_NET_ADMIN (nftables, policy routing, IP_TRANSPARENT).",
            "Every other kube-proxy flag (--iptables-*, --ipvs-*, --conntrack-*, --profiling, klog's log file "
                    + "flags...) is accepted and ignored with one warning each."
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

    @Mixin
    KubeProxyFlags kubeProxy;

    @Mixin
    LoggingOptions logging;

    /** kube-proxy's flags that do not apply: accepted, and warned about once each. */
    @Mixin
    IgnoredKubeProxyFlags ignoredKubeProxyFlags;

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

    @Option(
            names = "--cleanup",
            paramLabel = "BOOL",
            arity = "0..1",
            fallbackValue = "true",
            description = "remove the nftables table and routes vipd installed, then exit")
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
        KubeProxyConfiguration file;
        try {
            file = config == null ? KubeProxyConfiguration.empty() : KubeProxyConfiguration.load(config);
            settings = NodeSettingsResolver.resolve(kubeProxy, logging, file, System.getenv());
            grace = KubeProxyConfiguration.parseDuration(shutdownGrace, "--shutdown-grace");
            proxyConfig = udpIdleTimeoutFromFile(proxyConfig, file);
        } catch (IOException | IllegalArgumentException e) {
            return usage(err, e.getMessage());
        }
        if (tproxyPort < 1 || tproxyPort > 65535) {
            return usage(err, "--tproxy-port " + tproxyPort + " outside 1..65535");
        }
        LogSetup.apply(
                LogSetup.Format.parse(settings.logging().format()),
                logging.verbosity != null || file.logging().verbosity() != null
                        ? settings.logging().verbosity()
                        : null);
        if (kubeProxy.writeConfigTo != null) {
            return writeConfig(settings, err);
        }
        if (Boolean.TRUE.equals(kubeProxy.initOnly)) {
            log.atInfo().log("--init-only: vipd needs no privileged initialisation; exiting");
            return 0;
        }
        for (String w : settings.warnings()) {
            log.atWarn().log(w);
        }
        for (String flag : givenIgnoredFlags()) {
            log.atWarn().addKeyValue("flag", flag).log("kube-proxy flag does not apply to vipd and is ignored");
        }
        if (settings.oomScoreAdj() != null) {
            try {
                OomScore.apply(settings.oomScoreAdj(), OomScore.SELF);
            } catch (IOException e) {
                // kube-proxy logs this and goes on too: an unprivileged container may not lower its score.
                log.atWarn()
                        .addKeyValue("oomScoreAdj", settings.oomScoreAdj())
                        .addKeyValue("reason", e.toString())
                        .log("Cannot set this process's oom_score_adj");
            }
        }
        CompletableFuture<String> signal = TerminationSignal.install();
        HangupSignal.ignore("vipd node does not reload; restart it to apply changed flags or --config");
        NodeRuntime runtime;
        try {
            runtime = NodeRuntime.start(
                    settings,
                    tproxyPort,
                    sourceIp.equals("client") && !settings.masqueradeAll(),
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

    /** The ignored kube-proxy flags given on the command line, once each, in the order given. */
    List<String> givenIgnoredFlags() {
        Set<OptionSpec> ignored =
                Set.copyOf(spec.mixins().get("ignoredKubeProxyFlags").options());
        Set<String> out = new LinkedHashSet<>();
        for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
            if (ignored.contains(o)) {
                out.add(o.longestName());
            }
        }
        return List.copyOf(out);
    }

    /** A file's udpIdleTimeout (the old userspace proxy's) applies unless --udp-idle-timeout was given. */
    private ProxyConfig udpIdleTimeoutFromFile(ProxyConfig proxyConfig, KubeProxyConfiguration file) {
        if (file.udpIdleTimeout() == null
                || spec.commandLine().getParseResult().hasMatchedOption("--udp-idle-timeout")) {
            return proxyConfig;
        }
        return proxyConfig.withUdpIdleTimeout(file.udpIdleTimeout());
    }

    /** --write-config-to: the effective KubeProxyConfiguration, as kube-proxy writes it, then exit. */
    private int writeConfig(NodeSettings settings, PrintWriter err) {
        Path target = kubeProxy.writeConfigTo;
        try {
            Files.writeString(target, EffectiveKubeProxyConfiguration.yaml(settings));
            log.atInfo().addKeyValue("file", target).log("Wrote configuration");
        } catch (IOException e) {
            err.println("vipd node: --write-config-to: " + e.getMessage());
            err.flush();
            return 1;
        }
        return 0;
    }

    private static int usage(PrintWriter err, String message) {
        err.println("vipd node: " + message);
        err.flush();
        return 2;
    }
}
