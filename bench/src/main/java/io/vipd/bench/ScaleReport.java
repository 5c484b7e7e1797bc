package io.vipd.bench;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The results file's scale section: one table per service count (ratios to iptables on its nf_tables backend), then
 * what the node-mode target asks for: {@code vipd node}'s last-Service new-connection rate against both iptables
 * backends and nftables, its CPU per new connection against {@code vipd edge}'s, and how both change with N. Pure.
 */
final class ScaleReport {
    static final List<ResultsReport.Metric> METRICS = List.of(
            new ResultsReport.Metric("sync_ms", "sync ms", false),
            new ResultsReport.Metric("noflush_sync_ms", "kube-proxy's --noflush sync ms", false),
            new ResultsReport.Metric("first_cps", "new conn/s, first service", true),
            new ResultsReport.Metric("first_p99_ms", "p99 ms, first", false),
            new ResultsReport.Metric("last_cps", "new conn/s, last service", true),
            new ResultsReport.Metric("last_p99_ms", "p99 ms, last", false),
            new ResultsReport.Metric("last_cpu_us", "proxy CPU µs per new conn, last", false),
            new ResultsReport.Metric("change_ms", "endpoint change → in use, ms", false));

    private static final String NODE = "vipd-node";

    /** Row order: kube-proxy's data planes, then vipd's. */
    private static final List<String> ORDER =
            List.of("iptables", "iptables-legacy", "nftables", NODE, "vipd", "vipd-table");

    private final Measurements m;
    private final List<String> paths;
    private final List<Integer> scales;
    private final Set<String> withReason;

    /**
     * @param paths      the scale paths in row order
     * @param withReason paths that get a row even without measurements (the reason is listed elsewhere)
     */
    ScaleReport(Measurements m, List<String> paths, List<Integer> scales, Set<String> withReason) {
        this.m = m;
        this.paths = paths.stream()
                .sorted(Comparator.comparingInt(p -> ORDER.contains(p) ? ORDER.indexOf(p) : ORDER.size()))
                .toList();
        this.scales = List.copyOf(scales);
        this.withReason = Set.copyOf(withReason);
    }

    /** Markdown: the per-scale tables and the node-mode comparison (when vipd-node was measured). */
    String tables() {
        StringBuilder out = new StringBuilder();
        for (int scale : scales) {
            List<String> measured = paths.stream()
                    .filter(p -> METRICS.stream().anyMatch(metric -> m.runs(p, metric.key(), scale) > 0))
                    .toList();
            if (measured.isEmpty()) {
                continue; // a loads-only run, or nothing at this scale worked: the reasons are listed below
            }
            out.append(String.format(
                    Locale.ROOT, "%n### Scale: %,d service%s × 10 endpoints%n%n", scale, scale == 1 ? "" : "s"));
            List<String> rows = paths.stream()
                    .filter(p -> withReason.contains(p) || measured.contains(p))
                    .toList();
            table(out, scale, rows);
        }
        if (scales.stream().anyMatch(n -> m.runs(NODE, "last_cps", n) > 0)) {
            nodeComparison(out);
        }
        return out.toString();
    }

    private void table(StringBuilder out, int scale, List<String> rows) {
        out.append("| path |");
        for (ResultsReport.Metric metric : METRICS) {
            out.append(' ')
                    .append(metric.title())
                    .append(metric.higherIsBetter() ? " ↑" : " ↓")
                    .append(" |");
        }
        out.append("\n|---|").append("---:|".repeat(METRICS.size())).append('\n');
        for (String path : rows) {
            out.append("| ").append(path).append(" |");
            for (ResultsReport.Metric metric : METRICS) {
                double median = m.median(path, metric.key(), scale);
                double ratio = m.ratioToIptables(path, metric.key(), scale);
                String cell = Double.isNaN(median) ? "—" : ResultsReport.format(median);
                if (!Double.isNaN(median) && !path.equals("iptables") && !Double.isNaN(ratio)) {
                    cell = String.format(Locale.ROOT, "%s (×%.2f)", cell, ratio);
                }
                out.append(' ').append(cell).append(" |");
            }
            out.append('\n');
        }
    }

    private void nodeComparison(StringBuilder out) {
        out.append("\n### vipd node against kube-proxy's data planes (last service, medians)\n\n");
        out.append("| services | vipd-node / iptables (nf_tables) | vipd-node / iptables-legacy | vipd-node / nftables"
                + " | vipd-node CPU / vipd edge CPU per new conn |\n");
        out.append("|---:|---:|---:|---:|---:|\n");
        for (int scale : scales) {
            out.append(String.format(Locale.ROOT, "| %,d |", scale));
            for (String base : List.of("iptables", "iptables-legacy", "nftables")) {
                out.append(' ').append(ratio(NODE, base, "last_cps", scale)).append(" |");
            }
            out.append(' ').append(ratio(NODE, "vipd", "last_cpu_us", scale)).append(" |\n");
        }
        int first = scales.get(0);
        int last = scales.get(scales.size() - 1);
        if (first != last) {
            out.append(String.format(
                    Locale.ROOT,
                    "%nFlatness in N: last-service new conn/s at %,d services over %,d services:",
                    last,
                    first));
            for (String path : List.of(NODE, "vipd", "iptables", "iptables-legacy", "nftables")) {
                String r = ratio(path, last, path, first);
                if (!r.equals("—")) {
                    out.append(' ').append(path).append(' ').append(r).append(';');
                }
            }
            out.setLength(out.length() - 1);
            out.append(" (×1.00 is flat).\n");
        }
    }

    private String ratio(String path, String base, String metric, int scale) {
        double a = m.median(path, metric, scale);
        double b = m.median(base, metric, scale);
        return a > 0 && b > 0 ? String.format(Locale.ROOT, "×%.2f", a / b) : "—";
    }

    private String ratio(String path, int scale, String basePath, int baseScale) {
        double a = m.median(path, "last_cps", scale);
        double b = m.median(basePath, "last_cps", baseScale);
        return a > 0 && b > 0 ? String.format(Locale.ROOT, "×%.2f", a / b) : "—";
    }
}
