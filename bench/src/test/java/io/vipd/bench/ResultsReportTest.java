package io.vipd.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultsReportTest {
    @TempDir
    Path dir;

    @Test
    void mediansAndRatiosAgainstIptablesFromTheRawFile() throws IOException {
        Path raw = dir.resolve("raw.tsv");
        Files.writeString(
                raw,
                String.join(
                        "\n",
                        "# path metric scale value",
                        "iptables\thttp_rps\t0\t100",
                        "iptables\thttp_rps\t0\t300",
                        "iptables\thttp_rps\t0\t200",
                        "vipd\thttp_rps\t0\t250",
                        "vipd\thttp_rps\t0\t150",
                        "vipd\thttp_rps\t0\tNA",
                        "nftables\thttp_rps\t0\t400",
                        "iptables\tsync_ms\t1000\t80",
                        "nftables\tsync_ms\t1000\t20",
                        ""));
        Measurements m = Measurements.read(raw);
        assertThat(m.median("iptables", "http_rps", 0)).isEqualTo(200);
        assertThat(m.median("vipd", "http_rps", 0)).isEqualTo(200); // even count: mean of the middle two
        assertThat(m.runs("vipd", "http_rps", 0)).isEqualTo(2); // NA is not a run
        assertThat(m.ratioToIptables("nftables", "http_rps", 0)).isEqualTo(2.0);
        assertThat(m.ratioToIptables("haproxy", "http_rps", 0)).isNaN();

        ResultsReport report = new ResultsReport(
                m,
                List.of("iptables", "nftables", "vipd", "haproxy"),
                List.of("iptables", "nftables", "vipd"),
                List.of(1000),
                Map.of("haproxy", "not measured: haproxy is not installed"));
        String tables = report.tables();
        // A path with neither measurements nor a reason gets no row: vipd has no scale results here.
        assertThat(tables.substring(tables.indexOf("### Scale"))).doesNotContain("| vipd |");
        assertThat(tables)
                .contains(
                        "| haproxy | — |",
                        "| iptables | — | 200 [100–300] |", // median [min–max] of the three runs
                        "| nftables | — | 400 (×2.00) |", // one run: no spread
                        "| vipd | — | 200 (×1.00) [150–250] |",
                        "| iptables | 80.0 |",
                        "| nftables | 20.0 (×0.25) |",
                        "- haproxy: not measured: haproxy is not installed");
        assertThat(report.chartData().lines())
                .containsExactly(
                        "path\t\"bulk TCP Gbit/s\"\t\"keep-alive req/s\"\t\"new conn/s\"\t\"UDP req/resp /s\"",
                        "nftables\t-\t2.000\t-\t-",
                        "vipd\t-\t1.000\t-\t-");
        assertThat(report.gnuplotScript(Path.of("c.dat"), Path.of("c.png")))
                .contains("set output 'c.png'", "plot 'c.dat' using 2:xtic(1)", "using 5 title columnheader(5)");
    }

    @Test
    void proxyCpuPerUnitOfWorkIsReportedAgainstHaproxyAndTheKernelPathsSayKernel() throws IOException {
        Path raw = dir.resolve("raw.tsv");
        Files.writeString(
                raw,
                String.join(
                        "\n",
                        "iptables\thttp_rps\t0\t50000",
                        "iptables\tconn_rps\t0\t16000",
                        "haproxy\thttp_rps\t0\t34000",
                        "haproxy\thttp_cpu_us\t0\t26",
                        "haproxy\thttp_cpu_us\t0\t27",
                        "haproxy\thttp_cpu_us\t0\t25",
                        "haproxy\tconn_cpu_us\t0\t120",
                        "haproxy\tbulk_cpu_s_per_gb\t0\t0.5",
                        "vipd\thttp_rps\t0\t33000",
                        "vipd\thttp_cpu_us\t0\t28",
                        "vipd\thttp_cpu_us\t0\t31",
                        "vipd\thttp_cpu_us\t0\t29",
                        "vipd\tconn_cpu_us\t0\t180",
                        "vipd\tconn_cpu_us\t0\tNA",
                        "vipd\tcpu_read_from_stat\t0\t1",
                        ""));
        ResultsReport report = new ResultsReport(
                Measurements.read(raw),
                List.of("direct", "iptables", "vipd", "vipd-uring", "haproxy"),
                List.of("iptables", "vipd"),
                List.of(1, 1000),
                Map.of("vipd-uring", "not measured: this commit's vipd has no --transport"));
        String tables = report.tables();
        String cpu = tables.substring(tables.indexOf("### Proxy CPU"));
        assertThat(cpu)
                .contains(
                        "| path | proxy CPU µs per keep-alive request ↓ | proxy CPU µs per new connection ↓ |",
                        "| iptables | (kernel) | (kernel) | (kernel) |",
                        "| vipd | 29.0 (×1.12) [28.0–31.0] | 180 (×1.50) | — |",
                        "| haproxy | 26.0 [25.0–27.0] | 120 | 0.50 |")
                // direct has no load data and vipd-uring only a reason: neither gets a CPU row (nor a scale row)
                .doesNotContain("| direct |", "| vipd-uring |");
        // the load-only path's reason gives it a load row; it gets none in the CPU table or (not being a scale path)
        // in the scale tables that follow it, checked above
        assertThat(tables.substring(0, tables.indexOf("### Proxy CPU"))).contains("| vipd-uring | — |");
        assertThat(tables).contains("- vipd-uring: not measured: this commit's vipd has no --transport");
    }

    @Test
    void withoutAProxyPathThereIsNoCpuTable() throws IOException {
        Path raw = dir.resolve("raw.tsv");
        Files.writeString(raw, "iptables\thttp_rps\t0\t50000\nnftables\thttp_rps\t0\t51000\n");
        String tables = new ResultsReport(
                        Measurements.read(raw), List.of("iptables", "nftables"), List.of(), List.of(), Map.of())
                .tables();
        assertThat(tables).contains("| nftables | — | 51,000 (×1.02) |").doesNotContain("Proxy CPU");
    }

    @Test
    void aScaleOnlyRunHasNoLoadTable() throws IOException {
        Path raw = dir.resolve("raw.tsv");
        Files.writeString(raw, "iptables\tsync_ms\t1000\t80\nvipd-node\tsync_ms\t1000\t40\n");
        String tables = new ResultsReport(
                        Measurements.read(raw),
                        List.of("direct", "iptables", "vipd"),
                        List.of("iptables", "vipd", "vipd-node"),
                        List.of(1000),
                        Map.of())
                .tables();
        assertThat(tables)
                .doesNotContain("### Loads", "Proxy CPU")
                .contains("### Scale: 1,000 services", "| vipd-node | 40.0 (×0.50) |")
                .doesNotContain("| vipd |");
    }

    @Test
    void theReportCommandReadsRawAndNotesAndWritesTheTables() throws IOException {
        Path raw = dir.resolve("raw.tsv");
        Path notes = dir.resolve("notes.tsv");
        Path tables = dir.resolve("tables.md");
        Files.writeString(raw, "haproxy\tconn_cpu_us\t0\t120\nvipd\tconn_cpu_us\t0\t150\n");
        Files.writeString(notes, "haproxy\tUDP not measured\nvipd-jdk25\tnot measured: no JVM at /x/java\n");
        int exit = new picocli.CommandLine(new ReportCommand())
                .execute(
                        "--raw", raw.toString(),
                        "--notes", notes.toString(),
                        "--paths", "iptables,vipd,vipd-jdk25,haproxy",
                        "--scale-paths", "iptables,vipd",
                        "--scales", "1",
                        "--tables-out", tables.toString(),
                        "--chart-data", dir.resolve("c.dat").toString(),
                        "--chart-script", dir.resolve("c.gp").toString(),
                        "--chart-png", dir.resolve("c.png").toString());
        assertThat(exit).isZero();
        assertThat(Files.readString(tables))
                .contains(
                        "| vipd | — | 150 (×1.25) | — |",
                        "| vipd-jdk25 | — |",
                        "- haproxy: UDP not measured",
                        "- vipd-jdk25: not measured: no JVM at /x/java");
    }

    @Test
    void aMalformedLineIsReportedWithItsFileAndLine() throws IOException {
        Path raw = dir.resolve("bad.tsv");
        Files.writeString(raw, "iptables\thttp_rps\t0\t1\nvipd\thttp_rps\t0\n");
        assertThatThrownBy(() -> Measurements.read(raw)).hasMessageContaining("bad.tsv:2");
        Files.writeString(raw, "iptables\thttp_rps\t0\tfast\n");
        assertThatThrownBy(() -> Measurements.read(raw))
                .hasMessageContaining("bad.tsv:1")
                .hasMessageContaining("fast");
    }
}
