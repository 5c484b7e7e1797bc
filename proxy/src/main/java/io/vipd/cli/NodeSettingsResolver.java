package io.vipd.cli;

import io.vipd.lb.Addresses;
import io.vipd.lb.Cidr;
import io.vipd.node.NodeSettings;
import io.vipd.nodeport.NodePortAddresses;
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

    /** The flags as given; null where a flag was not given. */
    public record Flags(
            Path kubeconfig,
            String master,
            String hostnameOverride,
            String clusterCidr,
            List<String> nodePortAddresses,
            String healthzBindAddress,
            String metricsBindAddress,
            String featureGates,
            String proxyMode) {}

    /**
     * Merges flags over the file (which may be null).
     *
     * @param env the environment (NODE_NAME)
     * @throws IllegalArgumentException naming the setting, for a bad value
     */
    static NodeSettings resolve(Flags flags, KubeProxyConfiguration file, Map<String, String> env) {
        KubeProxyConfiguration f = file != null
                ? file
                : new KubeProxyConfiguration(null, null, null, null, null, null, null, null, null, null, List.of());
        List<String> warnings = new ArrayList<>();
        for (String ignored : f.ignored()) {
            warnings.add("KubeProxyConfiguration field " + ignored + " does not apply to vipd and is ignored");
        }
        String mode = first(flags.proxyMode(), f.mode());
        if (mode != null && !mode.isEmpty() && !mode.equals("nftables")) {
            warnings.add("proxy mode \"" + mode + "\" is ignored: vipd intercepts with nftables TPROXY and "
                    + "forwards in user space");
        }
        Path kubeconfig = flags.kubeconfig() != null
                ? flags.kubeconfig()
                : nonEmpty(f.kubeconfig()) ? Path.of(f.kubeconfig()) : null;
        String nodeName = firstNonEmpty(flags.hostnameOverride(), f.hostnameOverride(), env.get("NODE_NAME"));
        if (nodeName == null) {
            nodeName = hostName();
        }
        nodeName = nodeName.trim().toLowerCase(java.util.Locale.ROOT);
        List<Cidr> cidrs = new ArrayList<>();
        String cidrText = first(flags.clusterCidr(), f.clusterCidr());
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
        List<String> npa = flags.nodePortAddresses() != null
                ? flags.nodePortAddresses()
                : f.nodePortAddresses() != null ? f.nodePortAddresses() : List.of();
        // In the file an empty address is unset and defaulted, as kube-proxy's defaulting does; an empty flag disables.
        String healthz = first(flags.healthzBindAddress(), emptyToNull(f.healthzBindAddress()));
        String metrics = first(flags.metricsBindAddress(), emptyToNull(f.metricsBindAddress()));
        String gates = flags.featureGates();
        if (gates == null && !f.featureGates().isEmpty()) {
            List<String> parts = new ArrayList<>();
            new LinkedHashMap<>(f.featureGates()).forEach((k, v) -> parts.add(k + "=" + v));
            gates = String.join(",", parts);
        }
        return new NodeSettings(
                kubeconfig,
                flags.master(),
                nodeName,
                cidrs,
                NodePortAddresses.parse(npa),
                bindAddress("healthz-bind-address", healthz, NodeSettings.DEFAULT_HEALTHZ, 10256),
                bindAddress("metrics-bind-address", metrics, NodeSettings.DEFAULT_METRICS, 10249),
                gates == null ? "" : gates,
                positive(f.syncPeriod(), NodeSettings.DEFAULT_SYNC),
                warnings);
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

    private static String first(String a, String b) {
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
