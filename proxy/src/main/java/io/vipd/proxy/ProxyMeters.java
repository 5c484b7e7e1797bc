package io.vipd.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The proxy-wide counts and meters, built once at construction so that a connection never builds tags: the
 * TCP connections and UDP flows open now, retries, splices and UDP flow evictions.
 * Per-service ones (connect time included) and per-backend ones are in {@link ServiceRuntime} and {@link BackendRuntime}. Thread-safe.
 */
final class ProxyMeters {
    final AtomicInteger activeConnections = new AtomicInteger();
    final AtomicInteger udpFlows = new AtomicInteger();
    final Counter retries;
    final Counter spliced;
    final Counter udpEvictedIdle;
    final Counter udpEvictedBackendGone;
    final Counter udpEvictedUnreachable;
    final Counter udpDroppedFull;
    final UnroutableDatagrams unroutable;

    ProxyMeters(MeterRegistry registry) {
        retries = Counter.builder("vipd.backend.retries")
                .description("Backend connects retried on another backend after a failure")
                .register(registry);
        spliced = Counter.builder("vipd.connections.spliced")
                .description("TCP connections whose bytes moved by splice(2) from some point on")
                .register(registry);
        Gauge.builder("vipd.udp.flows.active", udpFlows, AtomicInteger::get)
                .description("UDP flows held")
                .register(registry);
        udpEvictedIdle = eviction(registry, "idle");
        udpEvictedBackendGone = eviction(registry, "backend_gone");
        udpEvictedUnreachable = eviction(registry, "unreachable");
        udpDroppedFull = eviction(registry, "full");
        unroutable = new UnroutableDatagrams(registry);
    }

    private static Counter eviction(MeterRegistry registry, String reason) {
        return Counter.builder("vipd.udp.flow.evictions")
                .description("UDP flows evicted, or refused (full) because the flow table was full")
                .tag("reason", reason)
                .register(registry);
    }
}
