package io.vipd.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The results file's tables and the ratio chart, from medians of repeated runs. Throughput and latency ratios are
 * against iptables in the same run, the proxies' CPU per unit of work against HAProxy in the same run, so machines
 * and runs are not compared with each other. Pure.
 */
public final class ResultsReport {
    /**
     * A measured quantity: its key in the raw file, its column title, whether more is better, and whether its cells
     * show the spread over the runs (min–max) next to the median.
     */
    record Metric(String key, String title, boolean higherIsBetter, boolean withSpread) {
        /** A metric whose cells show the median alone. */
        Metric(String key, String title, boolean higherIsBetter) {
            this(key, title, higherIsBetter, false);
        }
    }

    static final List<Metric> LOAD_METRICS = List.of(
            new Metric("bulk_gbps", "bulk TCP Gbit/s", true, true),
            new Metric("http_rps", "keep-alive req/s", true, true),
            new Metric("http_p99_ms", "keep-alive p99 ms", false),
            new Metric("conn_rps", "new conn/s", true, true),
            new Metric("conn_p99_ms", "new-conn p99 ms", false),
            new Metric("udp_rps", "UDP req/resp /s", true, true),
            new Metric("udp_p99_us", "UDP p99 µs", false));

    /** The chart's bars: throughput ratios (higher is better for all of them). */
    static final List<Metric> CHART_METRICS =
            List.of(LOAD_METRICS.get(0), LOAD_METRICS.get(1), LOAD_METRICS.get(3), LOAD_METRICS.get(5));

    /** The proxy process's user+sys CPU over a measured load, per unit of that load's work. */
    static final List<Metric> CPU_METRICS = List.of(
            new Metric("http_cpu_us", "proxy CPU µs per keep-alive request", false, true),
            new Metric("conn_cpu_us", "proxy CPU µs per new connection", false, true),
            new Metric("bulk_cpu_s_per_gb", "proxy CPU s per GB of bulk", false, true));

    static final String LOAD_BASE = "iptables";
    static final String CPU_BASE = "haproxy";
    static final String IN_KERNEL = "(kernel)";

    private final Measurements m;
    private final List<String> paths;
    private final List<String> scalePaths;
    private final List<Integer> scales;
    private final Map<String, String> notMeasured;

    /**
     * @param paths the load tests' paths, in table order
     * @param scalePaths the scale tests' paths, in table order
     * @param notMeasured path → why it was not measured (or was measured differently)
     */
    public ResultsReport(
            Measurements m,
            List<String> paths,
            List<String> scalePaths,
            List<Integer> scales,
            Map<String, String> notMeasured) {
        this.m = m;
        this.paths = List.copyOf(paths);
        this.scalePaths = List.copyOf(scalePaths);
        this.scales = List.copyOf(scales);
        this.notMeasured = Map.copyOf(notMeasured);
    }

    /**
     * Markdown: the load table and the proxies' CPU table, one scale table per service count, each only when it has
     * rows, and the paths not measured.
     */
    public String tables() {
        StringBuilder out = new StringBuilder();
        List<String> loadRows = rowsWithData(paths, LOAD_METRICS, 0);
        if (!loadRows.isEmpty()) {
            out.append("### Loads (1 service, one backend; median of runs [min–max]; ×ratio to iptables)\n\n");
            table(out, LOAD_METRICS, 0, LOAD_BASE, loadRows);
        }
        List<String> measured = paths.stream()
                .filter(p -> hasData(p, LOAD_METRICS, 0) || hasData(p, CPU_METRICS, 0))
                .toList();
        if (measured.stream().anyMatch(p -> !inKernel(p))) {
            out.append("\n### Proxy CPU per unit of work (user+sys of the proxy's processes during the load;")
                    .append(" median of runs [min–max]; ×ratio to HAProxy)\n\n");
            table(out, CPU_METRICS, 0, CPU_BASE, measured);
            out.append("\n")
                    .append(IN_KERNEL)
                    .append(": the kernel forwards these paths in softirq context; there is no process to read.\n");
        }
        out.append(new ScaleReport(m, scalePaths, scales, notMeasured.keySet()).tables());
        if (!notMeasured.isEmpty()) {
            out.append("\n### Not measured, or measured differently\n\n");
            for (String path : paths) {
                String reason = notMeasured.get(path);
                if (reason != null) {
                    out.append("- ").append(path).append(": ").append(reason).append('\n');
                }
            }
            for (Map.Entry<String, String> e : notMeasured.entrySet()) {
                if (!paths.contains(e.getKey())) {
                    out.append("- ")
                            .append(e.getKey())
                            .append(": ")
                            .append(e.getValue())
                            .append('\n');
                }
            }
        }
        return out.toString();
    }

    /** The paths the kernel carries (rules or plain routing): no proxy process, so no proxy CPU figure. */
    static boolean inKernel(String path) {
        return path.equals("direct") || path.startsWith("iptables") || path.equals("nftables");
    }

    private boolean hasData(String path, List<Metric> metrics, int scale) {
        return metrics.stream().anyMatch(metric -> m.runs(path, metric.key(), scale) > 0);
    }

    /** The paths with at least one measurement, or with a reason for having none. */
    private List<String> rowsWithData(List<String> candidates, List<Metric> metrics, int scale) {
        return candidates.stream()
                .filter(p -> notMeasured.containsKey(p) || hasData(p, metrics, scale))
                .toList();
    }

    private void table(StringBuilder out, List<Metric> metrics, int scale, String base, List<String> rows) {
        out.append("| path |");
        for (Metric metric : metrics) {
            out.append(' ')
                    .append(metric.title())
                    .append(metric.higherIsBetter() ? " ↑" : " ↓")
                    .append(" |");
        }
        out.append("\n|---|");
        out.append("---:|".repeat(metrics.size())).append('\n');
        for (String path : rows) {
            out.append("| ").append(path).append(" |");
            for (Metric metric : metrics) {
                out.append(' ').append(cell(path, metric, scale, base)).append(" |");
            }
            out.append('\n');
        }
    }

    /** {@code median (×ratio to base) [min–max]}; the ratio only where both were measured, the spread from 2 runs. */
    private String cell(String path, Metric metric, int scale, String base) {
        double median = m.median(path, metric.key(), scale);
        if (Double.isNaN(median)) {
            return base.equals(CPU_BASE) && inKernel(path) ? IN_KERNEL : "—";
        }
        StringBuilder cell = new StringBuilder(format(median));
        double ratio = m.ratio(path, base, metric.key(), scale);
        if (!path.equals(base) && !Double.isNaN(ratio)) {
            cell.append(String.format(Locale.ROOT, " (×%.2f)", ratio));
        }
        if (metric.withSpread() && m.runs(path, metric.key(), scale) > 1) {
            cell.append(" [")
                    .append(format(m.min(path, metric.key(), scale)))
                    .append('–')
                    .append(format(m.max(path, metric.key(), scale)))
                    .append(']');
        }
        return cell.toString();
    }

    static String format(double v) {
        double a = Math.abs(v);
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    /**
     * gnuplot data: one row per measured path except iptables (always 1), one column per chart metric; {@code -}
     * where the path was not measured.
     */
    public String chartData() {
        StringBuilder out = new StringBuilder("path");
        for (Metric metric : CHART_METRICS) {
            out.append('\t').append('"').append(metric.title()).append('"');
        }
        out.append('\n');
        for (String path : paths) {
            if (path.equals("iptables")
                    || CHART_METRICS.stream().noneMatch(metric -> m.runs(path, metric.key(), 0) > 0)) {
                continue;
            }
            out.append(path);
            for (Metric metric : CHART_METRICS) {
                double r = m.ratioToIptables(path, metric.key(), 0);
                out.append('\t').append(Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.3f", r));
            }
            out.append('\n');
        }
        return out.toString();
    }

    /** A gnuplot script drawing {@link #chartData()} as grouped bars with a line at 1 (iptables). */
    public String gnuplotScript(Path data, Path png) {
        StringBuilder out = new StringBuilder();
        out.append("set terminal pngcairo size 1000,560 noenhanced font 'sans,10'\n");
        out.append("set output '").append(png).append("'\n");
        out.append(
                "set title 'Throughput relative to kube-proxy iptables rules (same run, median; higher is better)'\n");
        out.append("set datafile missing '-'\n");
        out.append("set style data histograms\nset style histogram clustered gap 1\n");
        out.append("set style fill solid 0.85 border -1\nset boxwidth 0.9\n");
        out.append("set ylabel 'ratio to iptables'\nset yrange [0:*]\nset grid ytics\n");
        out.append("set key outside right top vertical\n");
        out.append("set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2 lc rgb 'black'\n");
        out.append("plot '").append(data).append("' using 2:xtic(1) title columnheader(2)");
        for (int col = 3; col <= CHART_METRICS.size() + 1; col++) {
            out.append(", '' using ")
                    .append(col)
                    .append(" title columnheader(")
                    .append(col)
                    .append(')');
        }
        out.append('\n');
        return out.toString();
    }
}
