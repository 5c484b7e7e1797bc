package io.vipd.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code /} page without a server: negotiation, parameters, and the HTML drawn from a model. */
class StatusPageTest {
    private static final String BROWSER_ACCEPT =
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
    private static final InstantSource CLOCK = InstantSource.fixed(Instant.parse("2026-12-07T12:00:00.250Z"));

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                BROWSER_ACCEPT + "|true",
                "*/*|false",
                "''|false",
                "text/plain|false",
                "application/xhtml+xml|true",
                "text/plain, text/html;q=0.5|false",
                "text/plain;q=0.5, TEXT/HTML|true",
                "text/html;q=0|false",
                "text/html;q=zero|false"
            })
    void htmlGoesToClientsThatAskForItFirst(String accept, boolean html) {
        assertThat(StatusPage.prefersHtml(accept)).isEqualTo(html);
    }

    @Test
    void aBrowserGetsHtmlThatLoadsNothingAndCurlGetsTheTable() {
        StatusPage page = new StatusPage("vipd edge", StatusPageTest::edgeModel, CLOCK);

        AdminResponse html = page.handle(Map.of(), BROWSER_ACCEPT);
        assertThat(html.status()).isEqualTo(200);
        assertThat(html.contentType()).isEqualTo("text/html; charset=utf-8");
        assertThat(html.headers())
                .containsEntry("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
                .containsEntry("Vary", "Accept");
        assertThat(html.body()).startsWith("<!DOCTYPE html>").contains("<meta http-equiv=\"refresh\" content=\"5\">");

        AdminResponse text = page.handle(Map.of(), "*/*");
        assertThat(text.contentType()).isEqualTo("text/plain; charset=utf-8");
        assertThat(text.body())
                .startsWith("vipd edge\n\nconfig: /etc/vipd/edge.yaml\nlast reload REFUSED: ")
                .contains("SERVICE ")
                .endsWith("endpoints: /metrics /services /healthz /livez\n");
        assertThat(page.handle(Map.of()).contentType()).isEqualTo(AdminResponse.TEXT);
    }

    @Test
    void queryParametersOverrideNegotiationAndRefresh() {
        StatusPage page = new StatusPage("vipd edge", StatusPageTest::edgeModel, CLOCK);

        assertThat(page.handle(Map.of("format", List.of("text")), BROWSER_ACCEPT)
                        .contentType())
                .isEqualTo(AdminResponse.TEXT);
        assertThat(page.handle(Map.of("format", List.of("html")), "*/*").contentType())
                .isEqualTo(AdminResponse.HTML);
        String stopped =
                page.handle(Map.of("refresh", List.of("0")), BROWSER_ACCEPT).body();
        assertThat(stopped).doesNotContain("http-equiv").contains("<a href=\"?refresh=5\">");
        assertThat(page.handle(Map.of("refresh", List.of("30")), BROWSER_ACCEPT).body())
                .contains("<meta http-equiv=\"refresh\" content=\"30\">");

        AdminResponse badFormat = page.handle(Map.of("format", List.of("xml")), BROWSER_ACCEPT);
        assertThat(badFormat.status()).isEqualTo(400);
        assertThat(badFormat.body()).isEqualTo("format: want html or text, got \"xml\"\n");
        for (String bad : List.of("-1", "abc", "3601", "99999999999")) {
            AdminResponse r = page.handle(Map.of("refresh", List.of(bad)), BROWSER_ACCEPT);
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.body()).isEqualTo("refresh: want whole seconds from 0 to 3600, got \"" + bad + "\"\n");
        }
    }

    @Test
    void everyNameAndMessageIsEscaped() {
        Map<String, Object> model = edgeModel();
        Map<String, Object> evil = service(
                "<script>alert(1)</script>",
                "forward",
                List.of(Map.of("address", "\"><img src=x>", "type", "<i>LoadBalancer</i>")),
                List.of(backend("10.0.0.1:80&<u>", "ready<svg>", 1)));
        ((List<Object>) model.get("services")).add(evil);

        String html = StatusHtml.render("vipd <edge>", model, 5, CLOCK.instant());

        assertThat(html)
                .contains("&lt;script&gt;alert(1)&lt;/script&gt;")
                .contains("data-service=\"&lt;script&gt;alert(1)&lt;/script&gt;\"")
                .contains("&quot;&gt;&lt;img src=x&gt;")
                .contains("&lt;i&gt;LoadBalancer&lt;/i&gt;")
                .contains("10.0.0.1:80&amp;&lt;u&gt;")
                .contains("state-ready&lt;svg&gt;")
                .contains("<h1>vipd &lt;edge&gt;</h1>")
                .contains("unknown field &quot;&lt;b onclick=&#39;x&#39;&gt;&quot;");
        // The page's own markup only: the tags the renderer writes, and nothing taken from the model.
        Matcher tags = Pattern.compile("<([a-zA-Z0-9]+)").matcher(html);
        while (tags.find()) {
            assertThat(tags.group(1))
                    .isIn(
                            "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "a", "code", "div",
                            "section", "span", "b", "table", "thead", "tbody", "tr", "th", "td");
        }
        assertThat(html).doesNotContain("<script").doesNotContain("<img").doesNotContain("<link");
    }

    @Test
    void theEdgePageShowsServicesBackendsStatesAndCounters() {
        String html = StatusHtml.render("vipd edge", edgeModel(), 5, CLOCK.instant());

        assertThat(html)
                .contains("<p class=\"meta\">at 2026-12-07T12:00:00Z · reloads every 5 s")
                .contains("configuration <code>/etc/vipd/edge.yaml</code>, applied 2026-12-07T11:59:00Z")
                .contains("<div class=\"alert\" id=\"config-error\">")
                .contains("<p class=\"summary\" id=\"summary\">3 services · 7 active connections · 2 UDP flows"
                        + " · backends: 1 drained 1 ejected 1 ready 1 removed</p>")
                .contains("<section class=\"service\" data-service=\"default/web/TCP\">")
                .contains("<code class=\"frontend\">127.0.0.1:8080/TCP</code> (LoadBalancer)")
                .contains("algorithm maglev · affinity ClientIP 10800 s · PROXY protocol v2 · <b>5</b> active"
                        + " connections")
                .contains("<tr class=\"backend state-ready\" data-state=\"ready\"><td><code>127.0.0.2:9000</code>"
                        + "</td><td class=\"state\">ready</td><td class=\"num\">2</td><td class=\"num\">4</td>"
                        + "<td class=\"num\">40</td><td class=\"num\">1</td></tr>")
                .contains("<tr class=\"backend state-ejected\" data-state=\"ejected\">")
                .contains("<tr class=\"backend state-drained\" data-state=\"drained\">");
        // No ready backend: flagged, and the empty one says what happens to clients.
        assertThat(html)
                .contains("<section class=\"service no-ready\" data-service=\"default/dns/UDP\">")
                .contains("<span class=\"badge warn\">no ready backend</span>")
                .contains("no backends: new connections are refused");
        // A service that left the configuration keeps its row while connections remain, without a warning.
        assertThat(html)
                .contains("<section class=\"service\" data-service=\"default/old/TCP\">")
                .contains("<tr class=\"backend state-removed\" data-state=\"removed\">");
        for (String state : StatusHtml.STATES.keySet()) {
            assertThat(html).contains("<span class=\"state-" + state + "\"");
        }
    }

    @Test
    void theNodePageSaysWhereItsTableComesFrom() {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("activeConnections", 0);
        model.put("activeUdpFlows", 0);
        model.put("services", List.of());
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("kind", "kubernetes");
        source.put("node", "worker-1");
        source.put("apiServerSynced", false);
        source.put("restoredSnapshot", true);
        source.put("snapshotTakenAt", "2026-12-07T11:00:00Z");
        model.put("source", source);

        String html = StatusHtml.render("vipd node", model, 5, CLOCK.instant());
        assertThat(html)
                .contains("node <code>worker-1</code>, not yet synced with the API server")
                .contains("<div class=\"alert\" id=\"snapshot\">Serving the table snapshot taken at"
                        + " 2026-12-07T11:00:00Z")
                .contains("0 services · 0 active connections · 0 UDP flows · backends: none")
                .doesNotContain("id=\"config");
        assertThat(StatusPage.text("vipd node", model))
                .startsWith("vipd node\n\nnode: worker-1, not yet synced with the API server\n\n"
                        + "serving the table snapshot taken at 2026-12-07T11:00:00Z");
    }

    static Map<String, Object> edgeModel() {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("activeConnections", 7);
        model.put("activeUdpFlows", 2L);
        List<Object> services = new java.util.ArrayList<>();
        Map<String, Object> web = service(
                "default/web/TCP",
                "forward",
                List.of(Map.of("address", "127.0.0.1:8080/TCP", "type", "LoadBalancer")),
                List.of(
                        backend("127.0.0.2:9000", "ready", 2),
                        backend("127.0.0.3:9000", "ejected", 1),
                        backend("127.0.0.4:9000", "drained", 0)));
        web.put("sessionAffinity", "ClientIP");
        web.put("sessionAffinityTimeoutSeconds", 10800);
        web.put("proxyProtocol", "v2");
        web.put("activeConnections", 5);
        services.add(web);
        services.add(service(
                "default/dns/UDP",
                "reject",
                List.of(Map.of("address", "127.0.0.1:53/UDP", "type", "LoadBalancer")),
                List.of()));
        Map<String, Object> old = service("default/old/TCP", "removed", List.of(), List.of());
        old.put("backends", List.of(backend("127.0.0.9:9000", "removed", 0)));
        services.add(old);
        model.put("services", services);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("file", "/etc/vipd/edge.yaml");
        config.put("lastApplied", "2026-12-07T11:59:00Z");
        config.put("lastError", "/etc/vipd/edge.yaml:3: services[0]: unknown field \"<b onclick='x'>\"");
        model.put("config", config);
        return model;
    }

    private static Map<String, Object> service(
            String name, String action, List<Map<String, Object>> frontends, List<Map<String, Object>> backends) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("name", name);
        s.put("frontends", frontends);
        s.put("algorithm", "maglev");
        s.put("sessionAffinity", "None");
        s.put("sessionAffinityTimeoutSeconds", 10800);
        s.put("proxyProtocol", "none");
        s.put("action", action);
        s.put("activeConnections", 0);
        s.put("activeUdpFlows", 0);
        s.put("backends", backends);
        return s;
    }

    private static Map<String, Object> backend(String address, String state, int weight) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("address", address);
        b.put("weight", weight);
        b.put("state", state);
        b.put("activeConnections", "ready".equals(state) ? 4 : 0);
        b.put("totalConnections", "ready".equals(state) ? 40 : 3);
        b.put("connectFailures", "ready".equals(state) ? 1 : 3);
        return b;
    }
}
