package io.vipd.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vipd.lb.Addresses;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AdminServerTest {
    private final HttpClient client = HttpClient.newHttpClient();
    private final AdminServer server = new AdminServer();
    private final PrometheusMeterRegistry registry = VipdMetrics.newRegistry();

    @AfterEach
    void close() {
        server.close();
        registry.close();
    }

    @Test
    void servesHealthAndMetricsOverHttp() throws Exception {
        HealthEndpoints health =
                new HealthEndpoints(new HealthState(InstantSource.system(), Duration.ofSeconds(60)), registry);
        Map<String, AdminHandler> routes = new HashMap<>(health.routes());
        routes.put("/metrics", VipdMetrics.scrape(registry));
        InetSocketAddress bound = server.bind(new InetSocketAddress("127.0.0.1", 0), routes);

        HttpResponse<String> healthz = get(bound, "/healthz");
        assertThat(healthz.statusCode()).isEqualTo(200);
        assertThat(healthz.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(healthz.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(healthz.body())
                .matches("\\{\"lastUpdated\": \"[^\"]+ \\+0000 UTC\",\"currentTime\": \"[^\"]+\","
                        + " \"nodeEligible\": true}");
        assertThat(get(bound, "/livez").statusCode()).isEqualTo(200);
        assertThat(get(bound, "/nope").statusCode()).isEqualTo(404);

        HttpResponse<String> metrics = get(bound, "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
        assertThat(metrics.body())
                .contains("kubeproxy_proxy_healthz_total{code=\"200\"} 1.0")
                .contains("kubeproxy_proxy_livez_total{code=\"200\"} 1.0")
                .contains("vipd_netty_allocator_used_direct_bytes{allocator=\"default\"}")
                .contains("jvm_memory_used_bytes")
                .contains("process_cpu_usage");
    }

    @Test
    void aHandlerFailureIsA500NotACrash() throws Exception {
        InetSocketAddress bound = server.bind(
                new InetSocketAddress("127.0.0.1", 0),
                Map.of(
                        "/boom",
                        q -> {
                            throw new IllegalStateException("broken");
                        },
                        "/ok",
                        q -> AdminResponse.text(200, "fine\n")));

        assertThat(get(bound, "/boom").statusCode()).isEqualTo(500);
        assertThat(get(bound, "/ok").body()).isEqualTo("fine\n");
    }

    @Test
    void anAddressInUseIsReportedByName() throws Exception {
        InetSocketAddress bound = server.bind(new InetSocketAddress("127.0.0.1", 0), Map.of());

        assertThatThrownBy(() -> server.bind(bound, Map.of()))
                .isInstanceOf(AdminBindException.class)
                .hasMessageStartingWith("cannot listen on " + Addresses.key(bound) + ": ")
                .hasMessageContaining("in use");
    }

    private HttpResponse<String> get(InetSocketAddress at, String path) throws Exception {
        return client.send(
                HttpRequest.newBuilder(URI.create("http://" + Addresses.key(at) + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
