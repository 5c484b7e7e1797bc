package io.vipd.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class HealthEndpointsTest {
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-05-01T10:00:00.123Z"));
    private final HealthState state = new HealthState(now::get, Duration.ofSeconds(60));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final HealthEndpoints endpoints = new HealthEndpoints(state, registry);

    @Test
    void healthyAtStartUpWithKubeProxysBodyAndHeaders() {
        AdminResponse r = endpoints.healthz(Map.of());

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.contentType()).isEqualTo("application/json");
        assertThat(r.headers()).containsEntry("X-Content-Type-Options", "nosniff");
        // Healthy: lastUpdated reports the current time, for compatibility with older kube-proxy.
        assertThat(r.body())
                .isEqualTo("{\"lastUpdated\": \"2026-05-01 10:00:00.123 +0000 UTC\","
                        + "\"currentTime\": \"2026-05-01 10:00:00.123 +0000 UTC\", \"nodeEligible\": true}");
        assertThat(endpoints.livez(Map.of()).body())
                .isEqualTo("{\"lastUpdated\": \"2026-05-01 10:00:00.123 +0000 UTC\","
                        + "\"currentTime\": \"2026-05-01 10:00:00.123 +0000 UTC\"}");
    }

    @Test
    void anUpdatePendingLongerThanTheTimeoutIsUnhealthyUntilApplied() {
        state.updated();
        now.set(now.get().plusSeconds(5));
        state.queuedUpdate();
        now.set(now.get().plusSeconds(60));
        assertThat(endpoints.healthz(Map.of()).status()).isEqualTo(200);

        now.set(now.get().plusMillis(1));
        AdminResponse stuck = endpoints.healthz(Map.of());
        assertThat(stuck.status()).isEqualTo(503);
        assertThat(stuck.body())
                .isEqualTo("{\"lastUpdated\": \"2026-05-01 10:00:00.123 +0000 UTC\","
                        + "\"currentTime\": \"2026-05-01 10:01:05.124 +0000 UTC\", \"nodeEligible\": true}");
        assertThat(endpoints.livez(Map.of()).status()).isEqualTo(503);

        state.updated();
        assertThat(endpoints.healthz(Map.of()).status()).isEqualTo(200);
    }

    @Test
    void aSourceThatStoppedForGoodIsUnhealthy() {
        java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();
        state.failWhile(stopped::get);
        state.updated();
        assertThat(endpoints.livez(Map.of()).status()).isEqualTo(200);

        stopped.set(true);
        assertThat(endpoints.livez(Map.of()).status()).isEqualTo(503);
        assertThat(endpoints.healthz(Map.of()).status()).isEqualTo(503);
    }

    @Test
    void aLaterQueuedUpdateDoesNotResetTheOldestPendingTime() {
        state.queuedUpdate();
        now.set(now.get().plusSeconds(40));
        state.queuedUpdate();
        now.set(now.get().plusSeconds(40));

        assertThat(endpoints.livez(Map.of()).status()).isEqualTo(503);
    }

    @Test
    void anIneligibleNodeFailsHealthzButNotLivez() {
        state.setNodeEligible(false);

        AdminResponse healthz = endpoints.healthz(Map.of());
        assertThat(healthz.status()).isEqualTo(503);
        assertThat(healthz.body())
                .endsWith("\"nodeEligible\": false}")
                .contains("\"lastUpdated\": \"0001-01-01 00:00:00 +0000 UTC\"");
        assertThat(endpoints.livez(Map.of()).status()).isEqualTo(200);
    }

    @Test
    void countsChecksByCode() {
        endpoints.healthz(Map.of());
        state.setNodeEligible(false);
        endpoints.healthz(Map.of());
        endpoints.healthz(Map.of());
        endpoints.livez(Map.of());

        assertThat(registry.get("kubeproxy.proxy.healthz")
                        .tag("code", "200")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(registry.get("kubeproxy.proxy.healthz")
                        .tag("code", "503")
                        .counter()
                        .count())
                .isEqualTo(2);
        assertThat(registry.get("kubeproxy.proxy.livez")
                        .tag("code", "200")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void goTimeDropsTrailingZerosAndAnEmptyFraction() {
        assertThat(GoTime.format(Instant.parse("2026-05-01T10:00:00Z"))).isEqualTo("2026-05-01 10:00:00 +0000 UTC");
        assertThat(GoTime.format(Instant.parse("2026-05-01T10:00:00.000004500Z")))
                .isEqualTo("2026-05-01 10:00:00.0000045 +0000 UTC");
    }
}
