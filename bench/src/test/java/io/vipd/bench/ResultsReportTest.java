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
                List.of(1000),
                Map.of("haproxy", "not measured: haproxy is not installed"));
        String tables = report.tables();
        // A path with neither measurements nor a reason gets no row: vipd has no scale results here.
        assertThat(tables.substring(tables.indexOf("### Scale"))).doesNotContain("| vipd |");
        assertThat(tables)
                .contains(
                        "| haproxy | — |",
                        "| iptables | — | 200 |",
                        "| nftables | — | 400 (×2.00) |",
                        "| vipd | — | 200 (×1.00) |",
                        "| iptables | 80.0 |",
                        "| nftables | 20.0 (×0.25) |",
                        "- haproxy: not measured: haproxy is not installed");
        assertThat(report.chartData().lines())
                .containsExactly(
                        "path\t\"bulk TCP Gbit/s\"\t\"keep-alive HTTP req/s\"\t\"new conn/s\"\t\"UDP req/resp /s\"",
                        "nftables\t-\t2.000\t-\t-",
                        "vipd\t-\t1.000\t-\t-");
        assertThat(report.gnuplotScript(Path.of("c.dat"), Path.of("c.png")))
                .contains("set output 'c.png'", "plot 'c.dat' using 2:xtic(1)", "using 5 title columnheader(5)");
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
