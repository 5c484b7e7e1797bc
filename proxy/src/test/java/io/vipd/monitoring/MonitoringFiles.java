package io.vipd.monitoring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * deploy/monitoring's dashboard and alert rules as the metric names they read, and a scrape as the sample names
 * it exports, for tests that check one against the other in edge mode ({@link MonitoringFilesTest}) and in node
 * mode (NodeModeE2ETest).
 */
public final class MonitoringFiles {
    /** Metric names read by the dashboard or the rules that only {@code vipd node} exports. */
    public static final Set<String> NODE_ONLY =
            Set.of("vipd_table_restored", "vipd_watcher_informer_watching", "vipd_watcher_informer_errors_total");
    /** Metric names read by the dashboard or the rules that only {@code vipd edge} exports. */
    public static final Set<String> EDGE_ONLY =
            Set.of("vipd_config_reloads_total", "vipd_config_last_reload_successful", "vipd_services");

    /**
     * The names kubernetes-mixin's "Kubernetes / Proxy" dashboard reads (dashboards/proxy.libsonnet) that vipd
     * node exports; its Goroutines panel reads go_goroutines, which a JVM has no equivalent of.
     */
    public static final Set<String> KUBE_PROXY_DASHBOARD = Set.of(
            "kubeproxy_sync_proxy_rules_duration_seconds_count",
            "kubeproxy_sync_proxy_rules_duration_seconds_bucket",
            "kubeproxy_network_programming_duration_seconds_count",
            "kubeproxy_network_programming_duration_seconds_bucket",
            "rest_client_requests_total",
            "rest_client_request_duration_seconds_bucket",
            "process_resident_memory_bytes",
            "process_cpu_seconds_total");

    private static final Pattern METRIC =
            Pattern.compile("\\b((?:vipd|kubeproxy|rest_client|process|jvm)_[a-z0-9_]*[a-z0-9])\\b");

    private MonitoringFiles() {}

    /** deploy/monitoring, from the module's directory (where Maven runs tests) or the repository's. */
    public static Path dir() {
        for (Path candidate : new Path[] {Path.of("..", "deploy", "monitoring"), Path.of("deploy", "monitoring")}) {
            if (Files.isDirectory(candidate)) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException(
                "deploy/monitoring not found from " + Path.of("").toAbsolutePath());
    }

    public static Path dashboard() {
        return dir().resolve("grafana-dashboard.json");
    }

    public static Path prometheusRule() {
        return dir().resolve("prometheusrule.yaml");
    }

    /** Every vipd_, kubeproxy_, rest_client_, process_ and jvm_ name the dashboard and the rules read. */
    public static Set<String> referencedNames() {
        Set<String> names = new TreeSet<>();
        names.addAll(names(read(dashboard())));
        names.addAll(names(read(prometheusRule())));
        return names;
    }

    static Set<String> names(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The sample names of a Prometheus text scrape (histograms as their _bucket, _count and _sum). */
    public static Set<String> exportedNames(String scrape) {
        Set<String> names = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                end++;
            }
            names.add(line.substring(0, end));
        }
        return names;
    }

    /** The names of {@code referenced} with one of {@code prefixes} that {@code exported} lacks. */
    public static Set<String> missing(Set<String> referenced, Set<String> exported, String... prefixes) {
        Set<String> missing = new TreeSet<>();
        for (String name : referenced) {
            for (String prefix : prefixes) {
                if (name.startsWith(prefix) && !exported.contains(name)) {
                    missing.add(name);
                }
            }
        }
        return missing;
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
