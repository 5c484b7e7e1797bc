package io.vipd.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Live counters of one backend of one service port on this node, with its Micrometer counters built once
 * so that a connection never builds tags. Thread-safe (event loops update it concurrently).
 */
final class BackendRuntime {
    final String key;
    final BackendHealth health;
    /** The table's least-connections counter for this backend key (shared by every service port). */
    final AtomicInteger leastConnections;
    final AtomicInteger active = new AtomicInteger();
    final AtomicLong total = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final Counter ok;
    final Counter connectFailed;

    BackendRuntime(String key, BackendHealth health, AtomicInteger leastConnections, Counter ok,
                   Counter connectFailed) {
        this.key = key;
        this.health = health;
        this.leastConnections = leastConnections;
        this.ok = ok;
        this.connectFailed = connectFailed;
    }

    void connected() {
        active.incrementAndGet();
        leastConnections.incrementAndGet();
        total.incrementAndGet();
        ok.increment();
        health.succeeded();
    }

    void disconnected() {
        active.decrementAndGet();
        leastConnections.decrementAndGet();
    }

    void connectFailed() {
        failures.incrementAndGet();
        connectFailed.increment();
        health.failed();
    }

    void removeMeters(MeterRegistry registry) {
        registry.remove(ok);
        registry.remove(connectFailed);
    }

    ProxyStats.BackendStats snapshot() {
        return new ProxyStats.BackendStats(key, active.get(), total.get(), failures.get(), health.isEjected());
    }
}
