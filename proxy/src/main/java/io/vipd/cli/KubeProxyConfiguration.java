package io.vipd.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * The fields of a kube-proxy {@code KubeProxyConfiguration} file ({@code kubeproxy.config.k8s.io/v1alpha1})
 * that apply to vipd, so kubeadm's kube-proxy ConfigMap works as it is (kube-proxy-semantics.md §3.3).
 * Fields that do not apply are listed in {@link #ignored} for one warning. Null means "not set". Immutable.
 *
 * @param hostnameOverride   the node name
 * @param clusterCidr        pod CIDRs, comma-separated
 * @param nodePortAddresses  CIDRs or "primary"
 * @param healthzBindAddress "ip:port"; "" disables
 * @param metricsBindAddress "ip:port"; "" disables
 * @param kubeconfig         clientConnection.kubeconfig
 * @param featureGates       name to enabled
 * @param mode               the proxy mode kube-proxy would use; vipd replaces all of them
 * @param minSyncPeriod      nftables (or iptables) minSyncPeriod
 * @param syncPeriod         nftables (or iptables) syncPeriod
 * @param ignored            dotted names of set fields that do not apply to vipd
 */
public record KubeProxyConfiguration(
        String hostnameOverride,
        String clusterCidr,
        List<String> nodePortAddresses,
        String healthzBindAddress,
        String metricsBindAddress,
        String kubeconfig,
        Map<String, Boolean> featureGates,
        String mode,
        Duration minSyncPeriod,
        Duration syncPeriod,
        List<String> ignored) {
    public static final String API_VERSION = "kubeproxy.config.k8s.io/v1alpha1";
    public static final String KIND = "KubeProxyConfiguration";

    /** Top-level fields vipd reads; everything else set in the file is reported as ignored. */
    private static final Set<String> HONOURED = Set.of(
            "apiVersion",
            "kind",
            "hostnameOverride",
            "clusterCIDR",
            "nodePortAddresses",
            "healthzBindAddress",
            "metricsBindAddress",
            "clientConnection",
            "featureGates",
            "mode",
            "nftables",
            "iptables");

    public KubeProxyConfiguration {
        nodePortAddresses = nodePortAddresses == null ? null : List.copyOf(nodePortAddresses);
        featureGates = featureGates == null ? Map.of() : Map.copyOf(featureGates);
        ignored = List.copyOf(ignored);
    }

    /**
     * Reads a file.
     *
     * @throws IllegalArgumentException naming the file and the field when the file is not a valid
     *                                  KubeProxyConfiguration
     */
    public static KubeProxyConfiguration load(Path file) throws IOException {
        String text = Files.readString(file);
        try {
            return parse(text);
        } catch (IllegalArgumentException | YamlEngineException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    public static KubeProxyConfiguration parse(String yaml) {
        Object doc = new Load(LoadSettings.builder().build()).loadFromString(yaml);
        if (!(doc instanceof Map)) {
            throw new IllegalArgumentException("not a KubeProxyConfiguration (want a mapping)");
        }
        Map<?, ?> root = (Map<?, ?>) doc;
        String kind = string(root, "kind", "");
        if (!kind.isEmpty() && !kind.equals(KIND)) {
            throw new IllegalArgumentException("kind: want " + KIND + ", got " + kind);
        }
        String apiVersion = string(root, "apiVersion", "");
        if (!apiVersion.isEmpty() && !apiVersion.equals(API_VERSION)) {
            throw new IllegalArgumentException("apiVersion: want " + API_VERSION + ", got " + apiVersion);
        }
        List<String> ignored = new ArrayList<>();
        for (Object key : root.keySet()) {
            if (!HONOURED.contains(String.valueOf(key)) && isSet(root.get(key))) {
                ignored.add(String.valueOf(key));
            }
        }
        Map<?, ?> client = map(root, "clientConnection");
        for (Object key : client.keySet()) {
            if (!"kubeconfig".equals(key) && isSet(client.get(key))) {
                ignored.add("clientConnection." + key);
            }
        }
        String mode = string(root, "mode", null);
        Map<?, ?> rules = map(root, "nftables").isEmpty() || "iptables".equals(mode)
                ? map(root, "iptables")
                : map(root, "nftables");
        String rulesName = rules == map(root, "iptables") ? "iptables" : "nftables";
        for (Object key : rules.keySet()) {
            // minSyncPeriod rate-limits kube-proxy's full rewrites; vipd applies each change within milliseconds
            // because it rebuilds only the changed service ports, so a set minSyncPeriod is warned about too.
            if (!"syncPeriod".equals(key) && isSet(rules.get(key))) {
                ignored.add(rulesName + "." + key);
            }
        }
        return new KubeProxyConfiguration(
                string(root, "hostnameOverride", null),
                string(root, "clusterCIDR", null),
                stringList(root, "nodePortAddresses"),
                string(root, "healthzBindAddress", null),
                string(root, "metricsBindAddress", null),
                string(client, "kubeconfig", null),
                gates(root),
                mode,
                duration(rules, rulesName + ".minSyncPeriod", "minSyncPeriod"),
                duration(rules, rulesName + ".syncPeriod", "syncPeriod"),
                ignored);
    }

    /** Parses a Go duration ("1s", "500ms", "15m0s"); "0" is zero. */
    public static Duration parseDuration(String text, String field) {
        try {
            return GoDurationConverter.parse(text);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(field + ": " + e.getMessage(), e);
        }
    }

    /** Whether a value differs from Go's zero value; kubeadm writes every field, most at zero. */
    private static boolean isSet(Object v) {
        if (v == null) {
            return false;
        }
        if (v instanceof Map) {
            return ((Map<?, ?>) v).values().stream().anyMatch(KubeProxyConfiguration::isSet);
        }
        if (v instanceof List) {
            return !((List<?>) v).isEmpty();
        }
        if (v instanceof Boolean) {
            return (Boolean) v;
        }
        if (v instanceof Number) {
            return ((Number) v).doubleValue() != 0;
        }
        // Go zero values (kubeadm writes them out) mean "not set".
        String s = String.valueOf(v);
        return !s.isEmpty() && !s.equals("0s") && !s.equals("0");
    }

    private static String string(Map<?, ?> m, String key, String dflt) {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Map || v instanceof List) {
            throw new IllegalArgumentException(key + ": want a string");
        }
        return String.valueOf(v);
    }

    private static Map<?, ?> map(Map<?, ?> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException(key + ": want a mapping");
        }
        return (Map<?, ?>) v;
    }

    private static List<String> stringList(Map<?, ?> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof List)) {
            throw new IllegalArgumentException(key + ": want a list");
        }
        List<String> out = new ArrayList<>();
        for (Object o : (List<?>) v) {
            out.add(String.valueOf(o));
        }
        return out;
    }

    private static Map<String, Boolean> gates(Map<?, ?> root) {
        Map<String, Boolean> out = new LinkedHashMap<>();
        map(root, "featureGates").forEach((k, v) -> {
            if (!(v instanceof Boolean)) {
                throw new IllegalArgumentException("featureGates." + k + ": want true or false");
            }
            out.put(String.valueOf(k), (Boolean) v);
        });
        return out;
    }

    private static Duration duration(Map<?, ?> m, String field, String key) {
        Object v = m.get(key);
        return v == null || String.valueOf(v).isEmpty() ? null : parseDuration(String.valueOf(v), field);
    }
}
