package io.vipd.admin;

import java.time.InstantSource;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The admin listener's {@code /} page, drawn from the {@code /services} model at each request: HTML for a
 * browser (its {@code Accept} names {@code text/html}), the plain-text table for curl and scripts. Query
 * parameters: {@code format=html|text} overrides the negotiation; {@code refresh=SECONDS} sets how often the
 * HTML page reloads itself (0 stops it; default {@value #DEFAULT_REFRESH_SECONDS}).
 */
public final class StatusPage implements AdminHandler {
    static final int DEFAULT_REFRESH_SECONDS = 5;
    static final int MAX_REFRESH_SECONDS = 3600;

    // The page loads nothing and runs nothing: the policy lets the browser enforce that (inline style only).
    private static final Map<String, String> HTML_HEADERS = Map.of(
            "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options", "nosniff",
            "Cache-Control", "no-store",
            "Vary", "Accept");
    private static final Map<String, String> TEXT_HEADERS = Map.of("Vary", "Accept");

    private final String title;
    private final Supplier<Map<String, Object>> model;
    private final InstantSource clock;

    /**
     * @param title the process, as the page heading shows it ({@code vipd edge}, {@code vipd node})
     * @param model the {@code /services} model, with the edge's {@code config} or the node's {@code source}
     */
    public StatusPage(String title, Supplier<Map<String, Object>> model, InstantSource clock) {
        this.title = title;
        this.model = model;
        this.clock = clock;
    }

    @Override
    public AdminResponse handle(Map<String, List<String>> query) {
        return handle(query, "");
    }

    @Override
    public AdminResponse handle(Map<String, List<String>> query, String accept) {
        String format = first(query, "format");
        boolean html;
        if (format == null) {
            html = prefersHtml(accept);
        } else if (format.equals("html") || format.equals("text")) {
            html = format.equals("html");
        } else {
            return AdminResponse.text(400, "format: want html or text, got \"" + format + "\"\n");
        }
        String refreshValue = first(query, "refresh");
        int refresh = DEFAULT_REFRESH_SECONDS;
        if (refreshValue != null) {
            refresh = refreshSeconds(refreshValue);
            if (refresh < 0) {
                return AdminResponse.text(
                        400,
                        "refresh: want whole seconds from 0 to " + MAX_REFRESH_SECONDS + ", got \"" + refreshValue
                                + "\"\n");
            }
        }
        Map<String, Object> m = model.get();
        return html
                ? new AdminResponse(
                        200, AdminResponse.HTML, StatusHtml.render(title, m, refresh, clock.instant()), HTML_HEADERS)
                : new AdminResponse(200, AdminResponse.TEXT, text(title, m), TEXT_HEADERS);
    }

    /**
     * True when the client asks for HTML at least as much as for plain text: browsers send {@code text/html}
     * first, curl sends {@code *}{@code /*}, which stays text.
     */
    static boolean prefersHtml(String accept) {
        double html = 0;
        double text = 0;
        for (String range : accept.split(",")) {
            String[] parts = range.split(";");
            String type = parts[0].trim().toLowerCase(Locale.ROOT);
            double q = quality(parts);
            if (type.equals("text/html") || type.equals("application/xhtml+xml")) {
                html = Math.max(html, q);
            } else if (type.equals("text/plain")) {
                text = Math.max(text, q);
            }
        }
        return html > 0 && html >= text;
    }

    private static double quality(String[] parts) {
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            if (p.startsWith("q=")) {
                try {
                    return Double.parseDouble(p.substring(2));
                } catch (NumberFormatException e) {
                    return 0; // RFC 9110: an invalid weight is as good as none offered.
                }
            }
        }
        return 1;
    }

    /** The seconds, or -1 when the value is not a whole number in range. */
    private static int refreshSeconds(String value) {
        if (!value.matches("[0-9]{1,5}")) {
            return -1;
        }
        int seconds = Integer.parseInt(value);
        return seconds <= MAX_REFRESH_SECONDS ? seconds : -1;
    }

    private static String first(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** The plain-text page: where the table comes from, the services table, the endpoints. */
    static String text(String title, Map<String, Object> model) {
        StringBuilder sb = new StringBuilder(title).append("\n\n");
        if (model.get("config") instanceof Map<?, ?> config) {
            sb.append("config: ").append(config.get("file"));
            sb.append(
                    config.get("lastError") == null
                            ? " (applied " + config.get("lastApplied") + ")\n"
                            : "\nlast reload REFUSED: " + config.get("lastError")
                                    + "\n(the last good configuration stays in force)\n");
        }
        if (model.get("source") instanceof Map<?, ?> source) {
            sb.append("node: ")
                    .append(source.get("node"))
                    .append(
                            Boolean.TRUE.equals(source.get("apiServerSynced"))
                                    ? ", synced with the API server\n"
                                    : ", not yet synced with the API server\n");
        }
        sb.append('\n').append(ServicesTableFormat.format(model));
        sb.append("\nendpoints: /metrics /services /healthz /livez\n");
        return sb.toString();
    }
}
