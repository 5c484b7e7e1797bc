package io.vipd.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The /services document as metric series: one state series per backend, kept up to date and removed. */
class StatusMetricsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicReference<Map<String, Object>> document = new AtomicReference<>(document());

    @Test
    void eachBackendHasOneStateSeriesWhichFollowsItsState() {
        StatusMetrics metrics = new StatusMetrics(registry, document::get, false);
        document.set(document(service(
                "default/web/TCP",
                "ClusterIP",
                backend("10.0.0.1:80", "ready", 1, 3, 0),
                backend("10.0.0.2:80", "ejected", 1, 0, 2))));
        metrics.refresh();
        String text = registry.scrape();
        String web = "service=\"default/web/TCP\"";
        assertThat(text)
                .contains("vipd_backend_state{backend=\"10.0.0.1:80\"," + web + ",state=\"ready\"} 1")
                .contains("vipd_backend_state{backend=\"10.0.0.2:80\"," + web + ",state=\"ejected\"} 1")
                .contains("vipd_backend_connections_active{backend=\"10.0.0.1:80\"," + web + "} 3")
                .contains("vipd_backend_weight{backend=\"10.0.0.2:80\"," + web + "} 1")
                .contains("vipd_backend_ejections_total{backend=\"10.0.0.2:80\"," + web + "} 2")
                .contains("vipd_service_backends_ready{" + web + "} 1");

        // A state vipd adds later (here a made-up one) needs no change here: the series carries it as it is.
        document.set(document(service(
                "default/web/TCP",
                "ClusterIP",
                backend("10.0.0.1:80", "drained", 0, 0, 0),
                backend("10.0.0.2:80", "some-new-state", 1, 0, 2))));
        metrics.refresh();
        text = registry.scrape();
        assertThat(text)
                .contains("vipd_backend_state{backend=\"10.0.0.1:80\"," + web + ",state=\"drained\"} 1")
                .contains("vipd_backend_state{backend=\"10.0.0.2:80\"," + web + ",state=\"some-new-state\"} 1")
                .doesNotContain("state=\"ready\"")
                .doesNotContain("state=\"ejected\"")
                .contains("vipd_service_backends_ready{" + web + "} 0");
    }

    @Test
    void departedBackendsAndServicesLoseTheirSeries() {
        StatusMetrics metrics = new StatusMetrics(registry, document::get, false);
        document.set(document(
                service(
                        "default/web/TCP",
                        "ClusterIP",
                        backend("10.0.0.1:80", "ready", 1, 0, 0),
                        backend("10.0.0.2:80", "ready", 1, 0, 0)),
                service("default/db/TCP", "ClusterIP", backend("10.0.0.9:5432", "ready", 1, 0, 0))));
        metrics.refresh();
        assertThat(registry.scrape()).contains("10.0.0.2:80").contains("default/db/TCP");

        document.set(document(service("default/web/TCP", "ClusterIP", backend("10.0.0.1:80", "ready", 1, 0, 0))));
        metrics.refresh();
        String text = registry.scrape();
        assertThat(text)
                .doesNotContain("10.0.0.2:80")
                .doesNotContain("default/db/TCP")
                .contains("10.0.0.1:80");
        assertThat(registry.getMeters())
                .noneMatch(m -> "default/db/TCP".equals(m.getId().getTag("service")));

        // Churn: a thousand backends come and go; only the present one keeps series.
        for (int i = 0; i < 1000; i++) {
            document.set(document(service(
                    "default/web/TCP",
                    "ClusterIP",
                    backend("10.1." + (i / 250) + "." + (i % 250) + ":80", "ready", 1, 0, 0))));
            metrics.refresh();
        }
        assertThat(registry.getMeters().stream()
                        .filter(m -> m.getId().getName().startsWith("vipd.backend"))
                        .count())
                .isEqualTo(4);
    }

    @Test
    void aServiceWithNoEndpointHasZeroReadyAndADepartedOneNoReadySeries() {
        StatusMetrics metrics = new StatusMetrics(registry, document::get, false);
        document.set(document(
                service("default/empty/TCP", "reject"),
                service("default/gone/TCP", "removed", backend("10.0.0.3:80", "removed", 0, 1, 0))));
        metrics.refresh();
        String text = registry.scrape();
        assertThat(text)
                .contains("vipd_service_backends_ready{service=\"default/empty/TCP\"} 0")
                .doesNotContain("vipd_service_backends_ready{service=\"default/gone/TCP\"}")
                .contains(
                        "vipd_backend_state{backend=\"10.0.0.3:80\",service=\"default/gone/TCP\",state=\"removed\"} 1");
    }

    @Test
    void nodeModeCoversOnlyServicePortsThisNodeForwarded() {
        StatusMetrics metrics = new StatusMetrics(registry, document::get, true);
        Map<String, Object> idle = service("default/idle/TCP", "ClusterIP", backend("10.0.0.5:80", "ready", 1, 0, 0));
        idle.put("forwarded", false);
        document.set(document(idle, service("default/web/TCP", "ClusterIP", backend("10.0.0.1:80", "ready", 1, 0, 0))));
        metrics.refresh();
        assertThat(registry.scrape()).contains("default/web/TCP").doesNotContain("default/idle/TCP");

        idle.put("forwarded", true);
        metrics.refresh();
        assertThat(registry.scrape()).contains("vipd_service_backends_ready{service=\"default/idle/TCP\"} 1");
    }

    @Test
    void readsTheDocumentServicesStatusBuilds() {
        var table = new io.vipd.lb.ServiceTable();
        var name = new io.vipd.lb.ServicePortName(
                new io.vipd.lb.NamespacedName("default", "web"), "", io.vipd.lb.Protocol.TCP);
        var stats = new io.vipd.proxy.ProxyStats(
                0,
                0,
                List.of(new io.vipd.proxy.ProxyStats.ServiceStats(
                        name,
                        2,
                        0,
                        List.of(new io.vipd.proxy.ProxyStats.BackendStats("10.0.0.1:80", 2, 5, 4, true, 3)))));
        Map<String, Object> model = new ServicesStatus(table, () -> stats).model();
        StatusMetrics metrics = new StatusMetrics(registry, () -> model, true);
        metrics.refresh();
        // Left the table with connections open: listed as removed, forwarded by this node.
        assertThat(registry.scrape())
                .contains("vipd_backend_state{backend=\"10.0.0.1:80\",service=\"default/web/TCP\",state=\"removed\"} 1")
                .contains("vipd_backend_ejections_total{backend=\"10.0.0.1:80\",service=\"default/web/TCP\"} 3")
                .contains("vipd_backend_connections_active{backend=\"10.0.0.1:80\",service=\"default/web/TCP\"} 2");
    }

    @SafeVarargs
    private static Map<String, Object> document(Map<String, Object>... services) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("services", new ArrayList<>(List.of(services)));
        return d;
    }

    @SafeVarargs
    private static Map<String, Object> service(String name, String action, Map<String, Object>... backends) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("name", name);
        s.put("action", action);
        s.put("forwarded", true);
        s.put("backends", List.of(backends));
        return s;
    }

    private static Map<String, Object> backend(String address, String state, int weight, int active, int ejections) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("address", address);
        b.put("weight", weight);
        b.put("state", state);
        b.put("activeConnections", active);
        b.put("ejections", ejections);
        return b;
    }
}
