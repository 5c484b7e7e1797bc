package io.vipd.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code harness report}: turns bench/run's raw measurements into the results tables (medians, ratios against
 * iptables from the same run) and the chart's data file and gnuplot script.
 */
@Command(name = "report", description = "Write the results tables, chart data and gnuplot script.")
final class ReportCommand implements Callable<Integer> {
    @Option(names = "--raw", required = true)
    Path raw;

    @Option(names = "--notes", description = "tab-separated 'path<TAB>reason' for paths not measured")
    Path notes;

    @Option(
            names = "--paths",
            split = ",",
            defaultValue = "direct,iptables,nftables,vipd,haproxy,nginx",
            description = "the load tests' paths, in table order")
    List<String> paths;

    @Option(
            names = "--scale-paths",
            split = ",",
            defaultValue = "iptables,iptables-legacy,nftables,vipd,vipd-table,vipd-node",
            description = "the scale tests' paths, in table order")
    List<String> scalePaths;

    @Option(names = "--scales", split = ",", defaultValue = "1,1000,10000")
    List<Integer> scales;

    @Option(names = "--tables-out", required = true, description = "markdown tables")
    Path tablesOut;

    @Option(names = "--chart-data", required = true)
    Path chartData;

    @Option(names = "--chart-script", required = true)
    Path chartScript;

    @Option(names = "--chart-png", required = true, description = "the PNG the gnuplot script writes")
    Path chartPng;

    @Override
    public Integer call() throws IOException {
        Measurements m = Measurements.read(raw);
        Map<String, String> reasons = new LinkedHashMap<>();
        if (notes != null && Files.exists(notes)) {
            for (String line : Files.readAllLines(notes)) {
                String[] f = line.split("\t", 2);
                if (f.length == 2) {
                    reasons.merge(f[0], f[1], (a, b) -> a + "; " + b);
                }
            }
        }
        ResultsReport report = new ResultsReport(m, paths, scalePaths, scales, reasons);
        Files.writeString(tablesOut, report.tables(), StandardCharsets.UTF_8);
        Files.writeString(chartData, report.chartData(), StandardCharsets.UTF_8);
        Files.writeString(chartScript, report.gnuplotScript(chartData, chartPng), StandardCharsets.UTF_8);
        System.out.printf(Locale.ROOT, "wrote %s, %s, %s%n", tablesOut, chartData, chartScript);
        return 0;
    }
}
