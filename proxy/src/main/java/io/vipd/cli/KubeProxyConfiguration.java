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
 * @param hostnameOverride    the node name
 * @param clusterCidr         pod CIDRs, comma-separated
 * @param nodePortAddresses   CIDRs or "primary"
 * @param healthzBindAddress  "ip:port"; "" disables
 * @param metricsBindAddress  "ip:port"; "" disables
 * @param kubeconfig          clientConnection.kubeconfig
 * @param featureGates        name to enabled
 * @param mode                the proxy mode kube-proxy would use; vipd replaces all of them
 * @param minSyncPeriod       nftables (or iptables) minSyncPeriod
 * @param syncPeriod          nftables (or iptables) syncPeriod
 * @param masqueradeAll       the rules section's masqueradeAll
 * @param detectLocalMode     ClusterCIDR, NodeCIDR, BridgeInterface or InterfaceNamePrefix
 * @param bridgeInterface     detectLocal.bridgeInterface
 * @param interfaceNamePrefix detectLocal.interfaceNamePrefix
 * @param bindAddress         the node's primary IP override
 * @param bindAddressHardFail whether a listener that cannot bind stops the process
 * @param oomScoreAdj         this process's oom_score_adj
 * @param configSyncPeriod    how often everything is reconciled with the API server's state
 * @param client              clientConnection's qps, burst and contentType
 * @param logging             logging.format and logging.verbosity
 * @param udpIdleTimeout      the userspace proxy's UDP idle timeout (older files)
 * @param ignored             dotted names of set fields that do not apply to vipd
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
        Boolean masqueradeAll,
        String detectLocalMode,
        String bridgeInterface,
        String interfaceNamePrefix,
        String bindAddress,
        Boolean bindAddressHardFail,
        Integer oomScoreAdj,
        Duration configSyncPeriod,
        ClientConnection client,
        Logging logging,
        Duration udpIdleTimeout,
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
            "iptables",
            "detectLocalMode",
            "detectLocal",
            "bindAddress",
            "bindAddressHardFail",
            "oomScoreAdj",
            "configSyncPeriod",
            "logging",
            "udpIdleTimeout");

    /** clientConnection: null where unset (zero). */
    public record ClientConnection(Float qps, Integer burst, String contentType) {
        static final ClientConnection UNSET = new ClientConnection(null, null, null);
    }

    /** logging: null where unset. */
    public record Logging(String format, Integer verbosity) {
        static final Logging UNSET = new Logging(null, null);
    }

    public KubeProxyConfiguration {
        nodePortAddresses = nodePortAddresses == null ? null : List.copyOf(nodePortAddresses);
        featureGates = featureGates == null ? Map.of() : Map.copyOf(featureGates);
        client = client == null ? ClientConnection.UNSET : client;
        logging = logging == null ? Logging.UNSET : logging;
        ignored = List.copyOf(ignored);
    }

    /** A configuration with nothing set (no --config). */
    public static KubeProxyConfiguration empty() {
        return parse("{}");
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
        Map<?, ?> client =
                section(root, "clientConnection", Set.of("kubeconfig", "qps", "burst", "contentType"), ignored);
        String mode = string(root, "mode", null);
        Map<?, ?> rules = map(root, "nftables").isEmpty() || "iptables".equals(mode)
                ? map(root, "iptables")
                : map(root, "nftables");
        String rulesName = rules == map(root, "iptables") ? "iptables" : "nftables";
        // minSyncPeriod rate-limits kube-proxy's full rewrites; vipd applies each change within milliseconds
        // because it rebuilds only the changed service ports, so a set minSyncPeriod is warned about too.
        section(root, rulesName, Set.of("syncPeriod", "masqueradeAll"), ignored);
        Map<?, ?> detectLocal = section(root, "detectLocal", Set.of("bridgeInterface", "interfaceNamePrefix"), ignored);
        // flushFrequency and the per-format buffer options tune klog's buffering; logback writes each line at once.
        Map<?, ?> logging = section(root, "logging", Set.of("format", "verbosity"), ignored);
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
                bool(rules, rulesName + ".masqueradeAll", "masqueradeAll"),
                emptyToNull(string(root, "detectLocalMode", null)),
                emptyToNull(string(detectLocal, "bridgeInterface", null)),
                emptyToNull(string(detectLocal, "interfaceNamePrefix", null)),
                emptyToNull(string(root, "bindAddress", null)),
                bool(root, "bindAddressHardFail", "bindAddressHardFail"),
                integer(root, "oomScoreAdj", "oomScoreAdj"),
                nonZero(duration(root, "configSyncPeriod", "configSyncPeriod")),
                new ClientConnection(
                        nonZero(number(client, "clientConnection.qps", "qps")),
                        nonZero(integer(client, "clientConnection.burst", "burst")),
                        emptyToNull(string(client, "contentType", null))),
                new Logging(
                        emptyToNull(string(logging, "format", null)),
                        nonZero(integer(logging, "logging.verbosity", "verbosity"))),
                nonZero(duration(root, "udpIdleTimeout", "udpIdleTimeout")),
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

    /** A nested mapping whose set keys outside {@code honoured} are reported as ignored. */
    private static Map<?, ?> section(Map<?, ?> root, String name, Set<String> honoured, List<String> ignored) {
        Map<?, ?> m = map(root, name);
        for (Object key : m.keySet()) {
            if (!honoured.contains(String.valueOf(key)) && isSet(m.get(key))) {
                ignored.add(name + "." + key);
            }
        }
        return m;
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

    private static Boolean bool(Map<?, ?> m, String field, String key) {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Boolean)) {
            throw new IllegalArgumentException(field + ": want true or false, got " + v);
        }
        return (Boolean) v;
    }

    private static Integer integer(Map<?, ?> m, String field, String key) {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        try {
            return v instanceof Number ? Math.toIntExact(((Number) v).longValue()) : Integer.parseInt(v.toString());
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(field + ": want an integer, got " + v);
        }
    }

    private static Float number(Map<?, ?> m, String field, String key) {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        try {
            return v instanceof Number ? ((Number) v).floatValue() : Float.parseFloat(v.toString());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(field + ": want a number, got " + v);
        }
    }

    private static <T extends Number> T nonZero(T n) {
        return n == null || n.doubleValue() == 0 ? null : n;
    }

    private static Duration nonZero(Duration d) {
        return d == null || d.isZero() ? null : d;
    }

    private static String emptyToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
