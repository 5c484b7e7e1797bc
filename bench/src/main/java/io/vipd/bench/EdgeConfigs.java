package io.vipd.bench;

import java.util.List;

/** Renders a Service set as a {@code vipd edge --config} file. Pure. */
public final class EdgeConfigs {
    private EdgeConfigs() {
    }

    /** The compact format: one entry per service port with its listen address and backends. */
    public static String compact(List<BenchService> services) {
        StringBuilder out = new StringBuilder(64 + services.size() * 400);
        out.append("services:\n");
        for (BenchService s : services) {
            out.append("  - name: ").append(s.namespace()).append('/').append(s.name()).append('\n');
            out.append("    listen: ").append(s.vip()).append(':').append(s.port()).append('\n');
            out.append("    protocol: ").append(s.protocol()).append('\n');
            out.append("    backends:\n");
            for (BenchService.Endpoint e : s.endpoints()) {
                out.append("      - ").append(e).append('\n');
            }
        }
        return out.toString();
    }
}
