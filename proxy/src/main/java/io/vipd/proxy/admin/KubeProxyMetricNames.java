package io.vipd.proxy.admin;

import java.util.Map;

/**
 * Gives back kube-proxy's exact names to metrics the Prometheus client renames. kube-proxy exports the gauge
 * {@code kubeproxy_sync_proxy_rules_no_local_endpoints_total}; Prometheus client 1.x reserves the
 * {@code _total} suffix for counters and scrapes that gauge without it, which would break dashboards and
 * alerts written for kube-proxy. The text format vipd serves (0.0.4) allows the name, so it is restored there.
 */
public final class KubeProxyMetricNames {
    private static final Map<String, String> RESTORED = Map.of(
            "kubeproxy_sync_proxy_rules_no_local_endpoints", "kubeproxy_sync_proxy_rules_no_local_endpoints_total");

    private KubeProxyMetricNames() {}

    /** The scrape text with each renamed metric's HELP, TYPE and sample lines under kube-proxy's name. */
    public static String restore(String scrape) {
        String text = scrape;
        for (Map.Entry<String, String> e : RESTORED.entrySet()) {
            if (text.contains(e.getKey())) {
                text = rename(text, e.getKey(), e.getValue());
            }
        }
        return text;
    }

    private static String rename(String text, String from, String to) {
        StringBuilder out = new StringBuilder(text.length() + 64);
        for (String line : text.split("\n", -1)) {
            out.append(renameLine(line, from, to)).append('\n');
        }
        out.setLength(out.length() - 1);
        return out.toString();
    }

    private static String renameLine(String line, String from, String to) {
        for (String prefix : new String[] {"# HELP ", "# TYPE ", ""}) {
            if (line.startsWith(prefix + from)) {
                int end = prefix.length() + from.length();
                char next = end < line.length() ? line.charAt(end) : ' ';
                if (next == ' ' || next == '{') {
                    return prefix + to + line.substring(end);
                }
            }
        }
        return line;
    }
}
