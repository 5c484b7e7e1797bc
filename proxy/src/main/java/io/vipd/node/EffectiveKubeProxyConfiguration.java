package io.vipd.node;

import io.vipd.lb.Addresses;
import io.vipd.lb.Cidr;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;

/**
 * The KubeProxyConfiguration ({@code kubeproxy.config.k8s.io/v1alpha1}) a node runs with, after flags, file and
 * defaults: written by {@code --write-config-to} and served at {@code /configz}, as kube-proxy does. It holds the
 * fields vipd honours, with vipd's values (the fields it ignores are left out rather than shown with values that
 * do nothing). Stateless.
 */
public final class EffectiveKubeProxyConfiguration {
    public static final String API_VERSION = "kubeproxy.config.k8s.io/v1alpha1";
    /** /configz's top-level key, kube-proxy's configz group name. */
    public static final String CONFIGZ_GROUP = "kubeproxy.config.k8s.io";

    private EffectiveKubeProxyConfiguration() {}

    /** The configuration as a JSON- and YAML-ready tree. */
    public static Map<String, Object> model(NodeSettings s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("apiVersion", API_VERSION);
        m.put("kind", "KubeProxyConfiguration");
        m.put("featureGates", featureGates(s.featureGates()));
        Map<String, Object> client = new LinkedHashMap<>();
        client.put("kubeconfig", s.kubeconfig() == null ? "" : s.kubeconfig().toString());
        client.put("contentType", "application/json");
        client.put("qps", (double) s.apiClient().qps());
        client.put("burst", s.apiClient().burst());
        m.put("clientConnection", client);
        Map<String, Object> logging = new LinkedHashMap<>();
        logging.put("format", s.logging().format());
        logging.put("verbosity", s.logging().verbosity());
        m.put("logging", logging);
        m.put("hostnameOverride", s.nodeName());
        m.put("bindAddress", s.bindAddress() == null ? "0.0.0.0" : Addresses.ipString(s.bindAddress()));
        m.put("healthzBindAddress", address(s.healthzBindAddress()));
        m.put("metricsBindAddress", address(s.metricsBindAddress()));
        m.put("bindAddressHardFail", s.bindAddressHardFail());
        m.put("mode", s.proxyMode());
        Map<String, Object> nftables = new LinkedHashMap<>();
        nftables.put("masqueradeAll", s.masqueradeAll());
        nftables.put("syncPeriod", goDuration(s.syncPeriod()));
        m.put("nftables", nftables);
        m.put("detectLocalMode", s.localDetection().mode().kubeName());
        Map<String, Object> detectLocal = new LinkedHashMap<>();
        detectLocal.put("bridgeInterface", s.localDetection().bridgeInterface());
        detectLocal.put("interfaceNamePrefix", s.localDetection().interfaceNamePrefix());
        m.put("detectLocal", detectLocal);
        m.put(
                "clusterCIDR",
                String.join(",", s.clusterCidrs().stream().map(Cidr::toString).toList()));
        List<String> npa = new ArrayList<>();
        if (s.nodePortAddresses().primary()) {
            npa.add("primary");
        }
        s.nodePortAddresses().cidrs().forEach(c -> npa.add(c.toString()));
        m.put("nodePortAddresses", npa);
        m.put("oomScoreAdj", s.oomScoreAdj());
        m.put("configSyncPeriod", goDuration(s.apiClient().resyncPeriod()));
        return m;
    }

    /** {@code --write-config-to}'s YAML. */
    public static String yaml(NodeSettings s) {
        return new Dump(DumpSettings.builder()
                        .setDefaultFlowStyle(FlowStyle.BLOCK)
                        .build())
                .dumpToString(model(s));
    }

    /** {@code /configz}'s body: the configuration under kube-proxy's group name. */
    public static Map<String, Object> configz(NodeSettings s) {
        Map<String, Object> m = new LinkedHashMap<>(model(s));
        m.remove("apiVersion");
        m.remove("kind");
        return Map.of(CONFIGZ_GROUP, m);
    }

    /** Go's time.Duration.String() for whole milliseconds: "30s", "1h0m0s", "15m0s", "500ms", "0s". */
    static String goDuration(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0s";
        }
        if (ms < 1000) {
            return ms + "ms";
        }
        long h = ms / 3_600_000;
        long m = ms / 60_000 % 60;
        long sMs = ms % 60_000;
        String seconds = sMs % 1000 == 0 ? Long.toString(sMs / 1000) : trim(sMs / 1000.0);
        StringBuilder b = new StringBuilder();
        if (h > 0) {
            b.append(h).append('h');
        }
        if (h > 0 || m > 0) {
            b.append(m).append('m');
        }
        return b.append(seconds).append('s').toString();
    }

    private static String trim(double seconds) {
        String t = String.format(java.util.Locale.ROOT, "%.3f", seconds);
        return t.replaceAll("0+$", "");
    }

    private static String address(InetSocketAddress a) {
        return a == null ? "" : Addresses.key(a);
    }

    private static Map<String, Boolean> featureGates(String gates) {
        Map<String, Boolean> out = new LinkedHashMap<>();
        for (String part : gates.split(",")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                out.put(
                        part.substring(0, eq).trim(),
                        Boolean.parseBoolean(part.substring(eq + 1).trim()));
            }
        }
        return out;
    }
}
