package io.vipd.admin;

/**
 * Gives back kube-proxy's exact name to the one metric the Prometheus client renames. kube-proxy exports the
 * gauge {@code kubeproxy_sync_proxy_rules_no_local_endpoints_total}; Prometheus client 1.x reserves the
 * {@code _total} suffix for counters and scrapes that gauge without it, which would break dashboards and
 * alerts written for kube-proxy. The text format vipd serves (0.0.4) allows the name, so it is restored there.
 */
public final class KubeProxyMetricNames {
    private static final String SCRAPED = "kubeproxy_sync_proxy_rules_no_local_endpoints";
    private static final String KUBE_PROXY = SCRAPED + "_total";

    private KubeProxyMetricNames() {}

    /** The scrape text with the gauge's HELP, TYPE and sample lines under kube-proxy's name. */
    public static String restore(String scrape) {
        if (!scrape.contains(SCRAPED)) {
            return scrape;
        }
        StringBuilder out = new StringBuilder(scrape.length() + 64);
        for (String line : scrape.split("\n", -1)) {
            out.append(renameLine(line)).append('\n');
        }
        out.setLength(out.length() - 1);
        return out.toString();
    }

    private static String renameLine(String line) {
        for (String prefix : new String[] {"# HELP ", "# TYPE ", ""}) {
            if (line.startsWith(SCRAPED, prefix.length()) && line.startsWith(prefix)) {
                int end = prefix.length() + SCRAPED.length();
                char next = end < line.length() ? line.charAt(end) : ' ';
                if (next == ' ' || next == '{') {
                    return prefix + KUBE_PROXY + line.substring(end);
                }
            }
        }
        return line;
    }
}
