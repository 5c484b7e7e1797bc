package io.vipd.admin;

import com.google.common.escape.Escaper;
import com.google.common.html.HtmlEscapers;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Renders the {@link ServicesStatus} model as one self-contained HTML page (inline style, no script, nothing
 * loaded from elsewhere), like HAProxy's stats page: per service its frontends, settings and counters, and a
 * table of its backends coloured by state. Every value from the model is escaped: names, addresses and a
 * refused configuration's error message (which quotes the file) end up as text, never as markup.
 */
final class StatusHtml {
    private static final Escaper ESCAPER = HtmlEscapers.htmlEscaper();

    /** Backend states in the order the legend lists them, with what each means. */
    static final Map<String, String> STATES = orderedStates();

    private static final String STYLE = """
            body{font:14px/1.4 system-ui,sans-serif;margin:1em 2em;color:#212121;background:#fafafa}
            h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.1em;margin:0 0 .3em}
            .meta,.settings{color:#555;margin:.2em 0}a{color:#1565c0}
            .alert{background:#ffebee;border-left:4px solid #c62828;padding:.5em 1em;margin:.8em 0;white-space:pre-wrap}
            .summary{font-weight:600;margin:.8em 0}
            section.service{background:#fff;border:1px solid #ddd;border-radius:4px;padding:.6em 1em;margin:.8em 0}
            section.service.no-ready{border-color:#c62828}
            table{border-collapse:collapse}th,td{padding:.2em .7em;text-align:left;border-bottom:1px solid #eee}
            th{background:#eceff1}td.num{text-align:right;font-variant-numeric:tabular-nums}
            .badge{display:inline-block;padding:0 .5em;border-radius:3px;font-size:.85em;color:#fff;background:#757575}
            .badge.action-forward{background:#388e3c}.badge.action-reject,.badge.action-drop,.badge.warn{background:#b71c1c}
            td.state{font-weight:600}
            .state-ready td.state{background:#2e7d32;color:#fff}.legend .state-ready{border-color:#2e7d32}
            .state-drained td.state{background:#546e7a;color:#fff}.legend .state-drained{border-color:#546e7a}
            .state-terminating td.state{background:#ef6c00;color:#fff}.legend .state-terminating{border-color:#ef6c00}
            .state-not-serving td.state{background:#f9a825}.legend .state-not-serving{border-color:#f9a825}
            .state-ejected td.state{background:#c62828;color:#fff}.legend .state-ejected{border-color:#c62828}
            .state-unhealthy td.state{background:#ad1457;color:#fff}.legend .state-unhealthy{border-color:#ad1457}
            .state-removed td.state{background:#9e9e9e;color:#fff}.legend .state-removed{border-color:#9e9e9e}
            .legend span{border-left:1em solid;padding-left:.3em;margin-right:1em}
            """;

    private StatusHtml() {}

    private static Map<String, String> orderedStates() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("ready", "takes new connections");
        m.put("drained", "weight 0: keeps its connections, takes no new ones");
        m.put("terminating", "its pod is terminating; used only when no backend is ready");
        m.put("not-serving", "its endpoint is not serving");
        m.put("ejected", "skipped on this node after repeated connect failures, until it answers again");
        m.put("unhealthy", "its active health check failed: no new connections until it passes again");
        m.put("removed", "gone from the configuration; its connections stay open");
        return Collections.unmodifiableMap(m);
    }

    static String escape(Object value) {
        return ESCAPER.escape(String.valueOf(value));
    }

    /**
     * @param refreshSeconds how often the page reloads itself; 0 for never
     */
    static String render(String title, Map<String, Object> model, int refreshSeconds, Instant now) {
        StringBuilder h = new StringBuilder(4096);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        if (refreshSeconds > 0) {
            h.append("<meta http-equiv=\"refresh\" content=\"")
                    .append(refreshSeconds)
                    .append("\">\n");
        }
        h.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
                .append(escape(title))
                .append(" status</title>\n<style>")
                .append(STYLE)
                .append("</style></head>\n<body>\n<h1>")
                .append(escape(title))
                .append("</h1>\n<p class=\"meta\">at ")
                .append(now.truncatedTo(ChronoUnit.SECONDS))
                .append(
                        refreshSeconds > 0
                                ? " · reloads every " + refreshSeconds + " s (<a href=\"?refresh=0\">stop</a>)"
                                : " · not reloading (<a href=\"?refresh=" + StatusPage.DEFAULT_REFRESH_SECONDS
                                        + "\">reload every " + StatusPage.DEFAULT_REFRESH_SECONDS + " s</a>)")
                .append(" · <a href=\"/services\">/services</a> <a href=\"/metrics\">/metrics</a>")
                .append(" <a href=\"/healthz\">/healthz</a> <a href=\"/livez\">/livez</a>")
                .append(" <a href=\"?format=text\">text</a></p>\n");
        origin(h, model);
        List<Map<String, Object>> services = list(model.get("services"));
        summary(h, model, services);
        for (Map<String, Object> s : services) {
            service(h, s);
        }
        h.append("<p class=\"legend\">backend states: ");
        STATES.forEach((state, meaning) -> h.append("<span class=\"state-")
                .append(state)
                .append("\" title=\"")
                .append(escape(meaning))
                .append("\">")
                .append(state)
                .append("</span>"));
        h.append("</p>\n</body></html>\n");
        return h.toString();
    }

    /** Where the table comes from: the edge's configuration file, or the node and its API server. */
    private static void origin(StringBuilder h, Map<String, Object> model) {
        if (model.get("config") instanceof Map<?, ?> config) {
            h.append("<p class=\"meta\" id=\"config\">configuration <code>")
                    .append(escape(config.get("file")))
                    .append("</code>, applied ")
                    .append(escape(config.get("lastApplied")))
                    .append("</p>\n");
            if (config.get("lastError") != null) {
                h.append("<div class=\"alert\" id=\"config-error\">Last reload REFUSED; the last good configuration"
                                + " stays in force:\n")
                        .append(escape(config.get("lastError")))
                        .append("</div>\n");
            }
        }
        if (model.get("source") instanceof Map<?, ?> source) {
            h.append("<p class=\"meta\" id=\"source\">node <code>")
                    .append(escape(source.get("node")))
                    .append("</code>, ")
                    .append(
                            Boolean.TRUE.equals(source.get("apiServerSynced"))
                                    ? "synced with the API server"
                                    : "not yet synced with the API server")
                    .append("</p>\n");
            if (Boolean.TRUE.equals(source.get("restoredSnapshot"))) {
                h.append("<div class=\"alert\" id=\"snapshot\">Serving the table snapshot taken at ")
                        .append(escape(source.get("snapshotTakenAt")))
                        .append(": the API server has not answered since this vipd started.</div>\n");
            }
        }
    }

    private static void summary(StringBuilder h, Map<String, Object> model, List<Map<String, Object>> services) {
        Map<String, Integer> byState = new TreeMap<>();
        for (Map<String, Object> s : services) {
            for (Map<String, Object> b : list(s.get("backends"))) {
                byState.merge(String.valueOf(b.get("state")), 1, Integer::sum);
            }
        }
        h.append("<p class=\"summary\" id=\"summary\">")
                .append(services.size())
                .append(services.size() == 1 ? " service · " : " services · ")
                .append(number(model.get("activeConnections")))
                .append(" active connections · ")
                .append(number(model.get("activeUdpFlows")))
                .append(" UDP flows · backends:");
        if (byState.isEmpty()) {
            h.append(" none");
        }
        byState.forEach((state, n) -> h.append(' ').append(n).append(' ').append(escape(state)));
        h.append("</p>\n");
    }

    private static void service(StringBuilder h, Map<String, Object> s) {
        List<Map<String, Object>> backends = list(s.get("backends"));
        boolean removed = "removed".equals(s.get("action"));
        boolean anyReady = backends.stream().anyMatch(b -> "ready".equals(b.get("state")));
        h.append("<section class=\"service")
                .append(anyReady || removed ? "" : " no-ready")
                .append("\" data-service=\"")
                .append(escape(s.get("name")))
                .append("\">\n<h2>")
                .append(escape(s.get("name")))
                .append(" <span class=\"badge action-")
                .append(escape(s.get("action")))
                .append("\">")
                .append(escape(s.get("action")))
                .append("</span>");
        if (!anyReady && !removed) {
            h.append(" <span class=\"badge warn\">no ready backend</span>");
        }
        h.append("</h2>\n<p class=\"settings\">");
        List<Map<String, Object>> frontends = list(s.get("frontends"));
        h.append(frontends.isEmpty() ? "no frontend" : "frontends:");
        for (Map<String, Object> f : frontends) {
            h.append(" <code class=\"frontend\">")
                    .append(escape(f.get("address")))
                    .append("</code> (")
                    .append(escape(f.get("type")))
                    .append(")");
        }
        if (!removed) {
            h.append(" · algorithm ")
                    .append(escape(s.get("algorithm")))
                    .append(" · affinity ")
                    .append(escape(s.get("sessionAffinity")));
            if ("ClientIP".equals(s.get("sessionAffinity"))) {
                h.append(' ')
                        .append(escape(s.get("sessionAffinityTimeoutSeconds")))
                        .append(" s");
            }
            h.append(" · PROXY protocol ").append(escape(s.get("proxyProtocol")));
        }
        h.append(" · <b>")
                .append(number(s.get("activeConnections")))
                .append("</b> active connections · <b>")
                .append(number(s.get("activeUdpFlows")))
                .append("</b> UDP flows</p>\n");
        backends(h, backends);
        h.append("</section>\n");
    }

    private static void backends(StringBuilder h, List<Map<String, Object>> backends) {
        if (backends.isEmpty()) {
            h.append("<p class=\"settings\">no backends: new connections are refused</p>\n");
            return;
        }
        h.append("<table class=\"backends\"><thead><tr><th>backend</th><th>state</th><th>weight</th>")
                .append("<th>active</th><th>total</th><th>connect failures</th></tr></thead><tbody>\n");
        for (Map<String, Object> b : backends) {
            String state = escape(b.get("state"));
            h.append("<tr class=\"backend state-")
                    .append(state)
                    .append("\" data-state=\"")
                    .append(state)
                    .append("\"><td><code>")
                    .append(escape(b.get("address")))
                    .append("</code></td><td class=\"state\">")
                    .append(state)
                    .append("</td><td class=\"num\">")
                    .append(number(b.get("weight")))
                    .append("</td><td class=\"num\">")
                    .append(number(b.get("activeConnections")))
                    .append("</td><td class=\"num\">")
                    .append(number(b.get("totalConnections")))
                    .append("</td><td class=\"num\">")
                    .append(number(b.get("connectFailures")))
                    .append("</td></tr>\n");
        }
        h.append("</tbody></table>\n");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        return value instanceof List ? (List<Map<String, Object>>) value : List.of();
    }

    private static long number(Object value) {
        return value instanceof Number ? ((Number) value).longValue() : 0;
    }
}
