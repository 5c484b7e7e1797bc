package io.vipd.admin;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prints the {@link ServicesStatus} model as a terminal table: one row per backend, the service's
 * columns on its first row only, and a summary line. Works on the model as built or as read back from
 * JSON (numbers may be Integer or Long).
 */
public final class ServicesTableFormat {
    private static final String[] HEADER = {
        "SERVICE",
        "FRONTENDS",
        "ALGORITHM",
        "AFFINITY",
        "ACTIVE",
        "BACKEND",
        "WEIGHT",
        "STATE",
        "ACTIVE",
        "TOTAL",
        "FAILED",
        "LAST CHECK"
    };

    private ServicesTableFormat() {}

    public static String format(Map<String, Object> model) {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        List<Map<String, Object>> services = list(model.get("services"));
        for (Map<String, Object> s : services) {
            List<String> frontends = new ArrayList<>();
            for (Map<String, Object> f : list(s.get("frontends"))) {
                frontends.add(String.valueOf(f.get("address")));
            }
            String affinity = "ClientIP".equals(s.get("sessionAffinity"))
                    ? "ClientIP/" + s.get("sessionAffinityTimeoutSeconds") + "s"
                    : "None";
            long active = number(s.get("activeConnections")) + number(s.get("activeUdpFlows"));
            boolean removed = "removed".equals(s.get("action"));
            String[] serviceCells = {
                String.valueOf(s.get("name")),
                String.join(",", frontends),
                removed ? "(removed)" : String.valueOf(s.get("algorithm")),
                removed ? "" : affinity,
                Long.toString(active)
            };
            List<Map<String, Object>> backends = list(s.get("backends"));
            if (backends.isEmpty()) {
                rows.add(row(serviceCells, new String[] {"(none: " + s.get("action") + ")", "", "", "", "", "", ""}));
            }
            for (int i = 0; i < backends.size(); i++) {
                Map<String, Object> b = backends.get(i);
                String[] backendCells = {
                    String.valueOf(b.get("address")),
                    String.valueOf(b.get("weight")),
                    String.valueOf(b.get("state")) + policyNote(b),
                    String.valueOf(b.get("activeConnections")),
                    String.valueOf(b.get("totalConnections")),
                    String.valueOf(b.get("connectFailures")),
                    lastCheck(b.get("healthCheck"))
                };
                rows.add(row(i == 0 ? serviceCells : new String[serviceCells.length], backendCells));
            }
        }
        if (rows.stream().skip(1).allMatch(r -> r[r.length - 1] == null || r[r.length - 1].isEmpty())) {
            // No health-checked backend: no LAST CHECK column.
            rows.replaceAll(r -> java.util.Arrays.copyOf(r, r.length - 1));
        }
        StringBuilder sb = new StringBuilder();
        if (model.get("source") instanceof Map<?, ?> source && Boolean.TRUE.equals(source.get("restoredSnapshot"))) {
            sb.append("serving the table snapshot taken at ")
                    .append(source.get("snapshotTakenAt"))
                    .append(": the API server has not answered since this vipd started\n\n");
        }
        int[] widths = widths(rows);
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < r.length; c++) {
                String cell = r[c] == null ? "" : r[c];
                line.append(cell);
                if (c < r.length - 1) {
                    line.append(" ".repeat(widths[c] - cell.length() + 2));
                }
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        sb.append(services.size())
                .append(services.size() == 1 ? " service, " : " services, ")
                .append(number(model.get("activeConnections")))
                .append(" active connections, ")
                .append(number(model.get("activeUdpFlows")))
                .append(" UDP flows\n");
        if (model.get("networkPolicy") instanceof Map<?, ?> np) {
            sb.append("NetworkPolicy: ")
                    .append(Boolean.TRUE.equals(np.get("synced")) ? "" : "not synced yet (no client restricted), ")
                    .append(np.get("restrictedClients") instanceof List<?> l ? l.size() : 0)
                    .append(" local pods restricted by egress policy\n");
        }
        if (model.get("config") instanceof Map && ((Map<?, ?>) model.get("config")).get("lastError") != null) {
            sb.append("last configuration reload REFUSED (the last good one stays in force): ")
                    .append(((Map<?, ?>) model.get("config")).get("lastError"))
                    .append('\n');
        }
        return sb.toString();
    }

    /** "http 500 at 13:52:07Z": the last health check's result and UTC time of day; empty when not checked. */
    private static String lastCheck(Object value) {
        if (!(value instanceof Map<?, ?> check) || check.get("lastResult") == null) {
            return value instanceof Map ? "(pending)" : "";
        }
        String at = String.valueOf(check.get("lastCheckAt"));
        int t = at.indexOf('T');
        int dot = at.indexOf('.', t);
        String time = t < 0 ? at : at.substring(t + 1, dot > 0 ? dot : at.length() - 1) + "Z";
        return check.get("lastResult") + " at " + time;
    }

    /** A backend some local clients' egress NetworkPolicy excludes (node mode): which ones. */
    private static String policyNote(Map<String, Object> backend) {
        return backend.get("policyExcludes") instanceof List<?> excluded && !excluded.isEmpty()
                ? " (policy excludes "
                        + String.join(
                                ",", excluded.stream().map(String::valueOf).toList()) + ")"
                : "";
    }

    private static String[] row(String[] serviceCells, String[] backendCells) {
        String[] r = new String[serviceCells.length + backendCells.length];
        System.arraycopy(serviceCells, 0, r, 0, serviceCells.length);
        System.arraycopy(backendCells, 0, r, serviceCells.length, backendCells.length);
        return r;
    }

    private static int[] widths(List<String[]> rows) {
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int c = 0; c < r.length; c++) {
                w[c] = Math.max(w[c], r[c] == null ? 0 : r[c].length());
            }
        }
        return w;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        return value instanceof List ? (List<Map<String, Object>>) value : List.of();
    }

    private static long number(Object value) {
        return value instanceof Number ? ((Number) value).longValue() : 0;
    }
}
