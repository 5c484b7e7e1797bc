package io.vipd.watcher;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watcher's meters, under kube-proxy's names (kube-proxy-semantics.md §3.2) so existing dashboards work,
 * plus {@code vipd_watcher_skipped_objects_total{reason}}. Histograms use kube-proxy's buckets.
 */
final class WatcherMetrics implements Skips {
    private static final Logger log = LoggerFactory.getLogger(WatcherMetrics.class);

    final Timer syncDuration;
    final Timer fullSyncDuration;
    final Timer partialSyncDuration;
    final Timer networkProgramming;
    final Counter endpointChanges;
    final Counter serviceChanges;
    final AtomicLong endpointChangesPending = new AtomicLong();
    final AtomicLong serviceChangesPending = new AtomicLong();
    final AtomicLong lastSyncMillis = new AtomicLong();
    final AtomicLong lastQueuedMillis = new AtomicLong();
    final AtomicLong noLocalInternal = new AtomicLong();
    final AtomicLong noLocalExternal = new AtomicLong();
    private final Map<SkipReason, Counter> skipped = new EnumMap<>(SkipReason.class);

    WatcherMetrics(MeterRegistry registry) {
        syncDuration = Timer.builder("kubeproxy_sync_proxy_rules_duration_seconds")
                .description("SyncProxyRules latency in seconds")
                .serviceLevelObjectives(exponential(Duration.ofMillis(1), 2, 15))
                .register(registry);
        fullSyncDuration = Timer.builder("kubeproxy_sync_full_proxy_rules_duration_seconds")
                .description("SyncProxyRules latency in seconds for full resyncs")
                .serviceLevelObjectives(exponential(Duration.ofMillis(1), 2, 15))
                .register(registry);
        partialSyncDuration = Timer.builder("kubeproxy_sync_partial_proxy_rules_duration_seconds")
                .description("SyncProxyRules latency in seconds for partial resyncs")
                .serviceLevelObjectives(exponential(Duration.ofMillis(1), 2, 15))
                .register(registry);
        networkProgramming = Timer.builder("kubeproxy_network_programming_duration_seconds")
                .description("In Cluster Network Programming Latency in seconds")
                .serviceLevelObjectives(networkProgrammingBuckets())
                .register(registry);
        endpointChanges = Counter.builder("kubeproxy_sync_proxy_rules_endpoint_changes_total")
                .description("Cumulative proxy rules EndpointSlice changes")
                .register(registry);
        serviceChanges = Counter.builder("kubeproxy_sync_proxy_rules_service_changes_total")
                .description("Cumulative proxy rules Service changes")
                .register(registry);
        Gauge.builder("kubeproxy_sync_proxy_rules_endpoint_changes_pending", endpointChangesPending, AtomicLong::get)
                .description("Pending proxy rules EndpointSlice changes")
                .register(registry);
        Gauge.builder("kubeproxy_sync_proxy_rules_service_changes_pending", serviceChangesPending, AtomicLong::get)
                .description("Pending proxy rules Service changes")
                .register(registry);
        Gauge.builder("kubeproxy_sync_proxy_rules_last_timestamp_seconds", lastSyncMillis, v -> v.get() / 1000.0)
                .description("The last time proxy rules were successfully synced")
                .register(registry);
        Gauge.builder(
                        "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
                        lastQueuedMillis,
                        v -> v.get() / 1000.0)
                .description("The last time a sync of proxy rules was queued")
                .register(registry);
        Gauge.builder("kubeproxy_sync_proxy_rules_no_local_endpoints_total", noLocalInternal, AtomicLong::get)
                .tag("traffic_policy", "internal")
                .description("Number of services with a Local traffic policy and no endpoints")
                .register(registry);
        Gauge.builder("kubeproxy_sync_proxy_rules_no_local_endpoints_total", noLocalExternal, AtomicLong::get)
                .tag("traffic_policy", "external")
                .description("Number of services with a Local traffic policy and no endpoints")
                .register(registry);
        for (SkipReason r : SkipReason.values()) {
            skipped.put(
                    r,
                    Counter.builder("vipd_watcher_skipped_objects_total")
                            .tag("reason", r.label())
                            .description("Objects or parts of objects left out because they were invalid")
                            .register(registry));
        }
    }

    @Override
    public void skipped(SkipReason reason, String object, String detail) {
        skipped.get(reason).increment();
        log.atWarn()
                .addKeyValue("reason", reason.label())
                .addKeyValue("object", object)
                .addKeyValue("detail", detail)
                .log("skipped invalid Kubernetes object or field");
    }

    double skippedCount(SkipReason reason) {
        return skipped.get(reason).count();
    }

    /** kube-proxy's ExponentialBuckets(start, factor, count). */
    static Duration[] exponential(Duration start, int factor, int count) {
        Duration[] d = new Duration[count];
        long nanos = start.toNanos();
        for (int i = 0; i < count; i++) {
            d[i] = Duration.ofNanos(nanos);
            nanos *= factor;
        }
        return d;
    }

    /** 0.25, 0.5, 1..59 by 1, 60..115 by 5, 120..300 by 30 seconds, as kube-proxy's metrics.go. */
    static Duration[] networkProgrammingBuckets() {
        java.util.List<Duration> b = new java.util.ArrayList<>();
        b.add(Duration.ofMillis(250));
        b.add(Duration.ofMillis(500));
        for (int s = 1; s <= 59; s++) {
            b.add(Duration.ofSeconds(s));
        }
        for (int s = 60; s <= 115; s += 5) {
            b.add(Duration.ofSeconds(s));
        }
        for (int s = 120; s <= 300; s += 30) {
            b.add(Duration.ofSeconds(s));
        }
        return b.toArray(new Duration[0]);
    }
}
