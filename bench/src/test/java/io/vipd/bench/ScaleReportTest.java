package io.vipd.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScaleReportTest {
    @Test
    void nodeModeIsComparedWithBothIptablesBackendsAndNftablesAndWithEdgeCpu() {
        Measurements m = new Measurements();
        for (int n : List.of(1, 10_000)) {
            m.add("iptables", "last_cps", n, n == 1 ? 10_000 : 5_000);
            m.add("iptables-legacy", "last_cps", n, n == 1 ? 10_000 : 2_000);
            m.add("nftables", "last_cps", n, 8_000);
            m.add("vipd", "last_cps", n, 4_000);
            m.add("vipd", "last_cpu_us", n, 100);
            m.add("vipd-node", "last_cps", n, 4_000);
            m.add("vipd-node", "last_cpu_us", n, 150);
            m.add("vipd-node", "last_p99_ms", n, 12.5);
        }
        m.add("iptables", "sync_ms", 10_000, 20_000);
        m.add("iptables", "noflush_sync_ms", 1, 40);

        String tables = new ScaleReport(
                        m,
                        List.of("iptables", "iptables-legacy", "nftables", "vipd", "vipd-node", "vipd-table"),
                        List.of(1, 10_000),
                        Set.of("vipd-table"))
                .tables();

        assertThat(tables)
                .contains(
                        "### Scale: 10,000 services × 10 endpoints",
                        "| iptables | 20,000 | — | — | — | 5,000 | — | — | — |",
                        "| vipd-node | — | — | — | — | 4,000 (×0.80) | 12.5 | 150 | — |",
                        "| vipd-table | — | — | — | — | — | — | — | — |",
                        "| 1 | ×0.40 | ×0.40 | ×0.50 | ×1.50 |",
                        "| 10,000 | ×0.80 | ×2.00 | ×0.50 | ×1.50 |",
                        "vipd-node ×1.00; vipd ×1.00; iptables ×0.50; iptables-legacy ×0.20; nftables ×1.00 (×1.00 is flat)");
    }

    @Test
    void withoutNodeModeResultsThereIsNoComparison() {
        Measurements m = new Measurements();
        m.add("iptables", "last_cps", 1000, 5_000);
        String tables = new ScaleReport(m, List.of("iptables"), List.of(1000), Set.of()).tables();
        assertThat(tables).contains("| iptables |").doesNotContain("vipd node against");
    }

    @Test
    void aRunWithoutScaleResultsHasNoScaleTables() {
        // A loads-only run: the scale paths carry reasons at most, no data.
        String tables = new ScaleReport(
                        new Measurements(), List.of("iptables", "vipd-node"), List.of(1, 1000), Set.of("vipd-node"))
                .tables();
        assertThat(tables).doesNotContain("### Scale");
    }
}
