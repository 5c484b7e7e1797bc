package io.vipd.cli;

import io.vipd.lb.Addresses;
import io.vipd.lb.Cidr;
import io.vipd.node.LocalDetection;
import io.vipd.node.NodeSettings;
import io.vipd.nodeport.NodePortAddresses;
import io.vipd.watcher.ApiClientSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges {@code vipd node}'s command line over a KubeProxyConfiguration file, as kube-proxy's command does: a flag
 * given on the command line wins, then the file's field, then kube-proxy's default. Stateless.
 */
final class NodeSettingsResolver {
    private NodeSettingsResolver() {}

    /**
     * Merges flags over the file (which may be null).
     *
     * @param logging the logging flags as given
     * @param env     the environment (NODE_NAME)
     * @throws IllegalArgumentException naming the setting, for a bad value
     */
    static NodeSettings resolve(
            KubeProxyFlags flags, LoggingOptions logging, KubeProxyConfiguration file, Map<String, String> env) {
        KubeProxyConfiguration f = file != null ? file : KubeProxyConfiguration.empty();
        List<String> warnings = new ArrayList<>();
        for (String ignored : f.ignored()) {
            warnings.add("KubeProxyConfiguration field " + ignored + " does not apply to vipd and is ignored");
        }
        String mode = first(flags.proxyMode, f.mode());
        if (mode != null && !mode.isEmpty() && !mode.equals("nftables")) {
            warnings.add("proxy mode \"" + mode + "\" is ignored: vipd intercepts with nftables TPROXY and "
                    + "forwards in user space");
        }
        Path kubeconfig =
                flags.kubeconfig != null ? flags.kubeconfig : nonEmpty(f.kubeconfig()) ? Path.of(f.kubeconfig()) : null;
        String nodeName = firstNonEmpty(flags.hostnameOverride, f.hostnameOverride(), env.get("NODE_NAME"));
        if (nodeName == null) {
            nodeName = hostName();
        }
        nodeName = nodeName.trim().toLowerCase(java.util.Locale.ROOT);
        List<Cidr> cidrs = new ArrayList<>();
        String cidrText = first(flags.clusterCidr, f.clusterCidr());
        if (cidrText != null) {
            for (String part : cidrText.split(",")) {
                if (!part.isBlank()) {
                    try {
                        cidrs.add(Cidr.parse(part));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("cluster-cidr: " + e.getMessage());
                    }
                }
            }
        }
        List<String> npa = flags.nodePortAddresses != null
                ? flags.nodePortAddresses
                : f.nodePortAddresses() != null ? f.nodePortAddresses() : List.of();
        String gates = flags.featureGates;
        if (gates == null && !f.featureGates().isEmpty()) {
            List<String> parts = new ArrayList<>();
            new LinkedHashMap<>(f.featureGates()).forEach((k, v) -> parts.add(k + "=" + v));
            gates = String.join(",", parts);
        }
        boolean ipvs = "ipvs".equals(mode);
        Duration syncFlag = ipvs ? flags.ipvsSyncPeriod : flags.iptablesSyncPeriod;
        if (syncFlag != null && (syncFlag.isZero() || syncFlag.isNegative())) {
            throw new IllegalArgumentException((ipvs ? "ipvs" : "iptables") + "-sync-period: must be greater than 0");
        }
        LocalDetection detection = new LocalDetection(
                LocalDetection.Mode.parse(first(flags.detectLocalMode, f.detectLocalMode())),
                first(flags.podBridgeInterface, f.bridgeInterface()),
                first(flags.podInterfaceNamePrefix, f.interfaceNamePrefix()));
        if (detection.mode() == LocalDetection.Mode.CLUSTER_CIDR && cidrs.isEmpty()) {
            warnings.add("detect-local-mode ClusterCIDR without --cluster-cidr: no traffic is taken for a local "
                    + "pod's (ClusterIP flows use the node's address, externalTrafficPolicy Local is not "
                    + "short-circuited for pods)");
        }
        Integer oom = first(flags.oomScoreAdj, f.oomScoreAdj());
        if (oom != null && (oom < -1000 || oom > 1000)) {
            throw new IllegalArgumentException("oom-score-adj: " + oom + " outside -1000..1000");
        }
        return new NodeSettings(
                kubeconfig,
                flags.master,
                nodeName,
                cidrs,
                NodePortAddresses.parse(npa),
                listener(
                        "healthz",
                        flags.healthzBindAddress,
                        flags.healthzPort,
                        f.healthzBindAddress(),
                        NodeSettings.DEFAULT_HEALTHZ,
                        10256),
                listener(
                        "metrics",
                        flags.metricsBindAddress,
                        flags.metricsPort,
                        f.metricsBindAddress(),
                        NodeSettings.DEFAULT_METRICS,
                        10249),
                gates == null ? "" : gates,
                syncFlag != null ? syncFlag : positive(f.syncPeriod(), NodeSettings.DEFAULT_SYNC),
                Boolean.TRUE.equals(first(flags.masqueradeAll, f.masqueradeAll())),
                detection,
                primaryOverride(first(flags.bindAddress, f.bindAddress())),
                Boolean.TRUE.equals(first(flags.bindAddressHardFail, f.bindAddressHardFail())),
                oom,
                apiClient(flags, f, warnings),
                mode == null ? "" : mode,
                logging(logging, f),
                warnings);
    }

    /** The log settings: a flag wins over the file's {@code logging}; the verbosity is null when neither sets it. */
    static NodeSettings.Logging logging(LoggingOptions flags, KubeProxyConfiguration file) {
        String format = first(flags.format, file.logging().format());
        Integer v = first(flags.verbosity, file.logging().verbosity());
        return new NodeSettings.Logging(
                LogSetup.Format.parse(format).name().toLowerCase(java.util.Locale.ROOT), v == null ? 0 : v);
    }

    private static ApiClientSettings apiClient(KubeProxyFlags flags, KubeProxyConfiguration f, List<String> warnings) {
        String contentType = first(flags.kubeApiContentType, f.client().contentType());
        if (contentType != null && !contentType.isBlank() && !contentType.trim().equals("application/json")) {
            warnings.add("kube-api-content-type " + contentType + " is ignored: vipd's API client (fabric8) speaks "
                    + "application/json only");
        }
        Float qps = first(flags.kubeApiQps, f.client().qps());
        Integer burst = first(flags.kubeApiBurst, f.client().burst());
        Duration resync = first(flags.configSyncPeriod, f.configSyncPeriod());
        ApiClientSettings d = ApiClientSettings.DEFAULTS;
        return new ApiClientSettings(
                qps == null ? d.qps() : qps,
                burst == null ? d.burst() : burst,
                resync == null ? d.resyncPeriod() : resync);
    }

    /**
     * A listener address: the flag, else the deprecated port flag (0: off; else the default address with that
     * port), else the file's (an empty value in the file is unset and defaulted, as kube-proxy's defaulting
     * does), else the default. An empty flag disables.
     */
    private static InetSocketAddress listener(
            String name, String flag, Integer portFlag, String fileValue, String dflt, int defaultPort) {
        String setting = name + "-bind-address";
        if (flag == null && portFlag != null) {
            if (portFlag == 0) {
                return null;
            }
            if (portFlag < 0 || portFlag > 65535) {
                throw new IllegalArgumentException(name + "-port: " + portFlag + " outside 0..65535");
            }
            InetSocketAddress base = bindAddress(setting, emptyToNull(fileValue), dflt, defaultPort);
            return base == null ? null : new InetSocketAddress(base.getAddress(), portFlag);
        }
        return bindAddress(setting, first(flag, emptyToNull(fileValue)), dflt, defaultPort);
    }

    /** --bind-address: an IP; the unspecified address (kube-proxy's default) means "discover". */
    private static InetAddress primaryOverride(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            InetAddress ip = Addresses.parseIp(value.trim());
            return ip.isAnyLocalAddress() ? null : ip;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bind-address: " + e.getMessage());
        }
    }

    /**
     * Parses a bind address: "ip:port", "[v6]:port", a bare IP (kube-proxy's default port), ":port" (all IPv4
     * addresses); "" disables (null); null takes the default.
     */
    static InetSocketAddress bindAddress(String setting, String value, String dflt, int defaultPort) {
        String v = value == null ? dflt : value.trim();
        if (v.isEmpty()) {
            return null;
        }
        try {
            if (v.startsWith(":")) {
                return new InetSocketAddress(Addresses.parseIp("0.0.0.0"), Integer.parseInt(v.substring(1)));
            }
            if (v.indexOf(':') < 0
                    || (v.startsWith("[") && v.endsWith("]"))
                    || v.indexOf(':') != v.lastIndexOf(':') && !v.startsWith("[")) {
                return new InetSocketAddress(Addresses.parseIp(v), defaultPort);
            }
            return Addresses.parseIpPort(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(setting + ": " + e.getMessage());
        }
    }

    private static Duration positive(Duration d, Duration dflt) {
        return d == null || d.isZero() || d.isNegative() ? dflt : d;
    }

    private static <T> T first(T a, T b) {
        return a != null ? a : b;
    }

    private static String firstNonEmpty(String... values) {
        for (String v : values) {
            if (nonEmpty(v)) {
                return v;
            }
        }
        return null;
    }

    private static String emptyToNull(String s) {
        return nonEmpty(s) ? s : null;
    }

    private static boolean nonEmpty(String s) {
        return s != null && !s.isBlank();
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
