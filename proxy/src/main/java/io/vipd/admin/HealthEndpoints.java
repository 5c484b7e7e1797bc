package io.vipd.admin;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * kube-proxy's {@code /healthz} and {@code /livez} over a {@link HealthState}: same status codes, bodies,
 * headers and counters ({@code kubeproxy_proxy_healthz_total{code}}, {@code kubeproxy_proxy_livez_total{code}}).
 * When healthy, {@code lastUpdated} reports the current time, as kube-proxy does for compatibility.
 */
public final class HealthEndpoints {
    private static final Map<String, String> HEADERS = Map.of("X-Content-Type-Options", "nosniff");

    private final HealthState state;
    private final Counter healthz200;
    private final Counter healthz503;
    private final Counter livez200;
    private final Counter livez503;

    public HealthEndpoints(HealthState state, MeterRegistry registry) {
        this.state = state;
        healthz200 = counter(registry, "kubeproxy.proxy.healthz", "200");
        healthz503 = counter(registry, "kubeproxy.proxy.healthz", "503");
        livez200 = counter(registry, "kubeproxy.proxy.livez", "200");
        livez503 = counter(registry, "kubeproxy.proxy.livez", "503");
    }

    private static Counter counter(MeterRegistry registry, String name, String code) {
        return Counter.builder(name)
                .tag("code", code)
                .description("Cumulative proxy health checks by HTTP status")
                .register(registry);
    }

    public AdminResponse healthz(Map<String, List<String>> query) {
        HealthState.Snapshot s = state.snapshot();
        boolean healthy = s.healthy() && s.nodeEligible();
        (healthy ? healthz200 : healthz503).increment();
        Instant lastUpdated = healthy ? s.currentTime() : s.lastUpdated();
        String body = "{\"lastUpdated\": " + quote(lastUpdated) + ",\"currentTime\": " + quote(s.currentTime())
                + ", \"nodeEligible\": " + s.nodeEligible() + "}";
        return new AdminResponse(healthy ? 200 : 503, AdminResponse.JSON, body, HEADERS);
    }

    public AdminResponse livez(Map<String, List<String>> query) {
        HealthState.Snapshot s = state.snapshot();
        boolean healthy = s.healthy();
        (healthy ? livez200 : livez503).increment();
        Instant lastUpdated = healthy ? s.currentTime() : s.lastUpdated();
        String body = "{\"lastUpdated\": " + quote(lastUpdated) + ",\"currentTime\": " + quote(s.currentTime()) + "}";
        return new AdminResponse(healthy ? 200 : 503, AdminResponse.JSON, body, HEADERS);
    }

    private static String quote(Instant t) {
        return "\"" + GoTime.format(t) + "\"";
    }

    /** The health routes, as the healthz server serves them. */
    public Map<String, AdminHandler> routes() {
        return Map.of("/healthz", this::healthz, "/livez", this::livez);
    }
}
