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
    /** Health is looked up, not kept: the engine may forget and recreate a record, and pickers read the map. */
    private final Engine engine;
    final AtomicInteger active = new AtomicInteger();
    final AtomicLong total = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final Counter ok;
    final Counter connectFailed;

    BackendRuntime(String key, Engine engine, Counter ok, Counter connectFailed) {
        this.key = key;
        this.engine = engine;
        this.ok = ok;
        this.connectFailed = connectFailed;
    }

    void connected() {
        active.incrementAndGet();
        total.incrementAndGet();
        ok.increment();
        engine.health(key).succeeded();
    }

    void disconnected() {
        active.decrementAndGet();
    }

    void connectFailed() {
        failures.incrementAndGet();
        connectFailed.increment();
        engine.health(key).failed();
    }

    void removeMeters(MeterRegistry registry) {
        registry.remove(ok);
        registry.remove(connectFailed);
    }

    ProxyStats.BackendStats snapshot() {
        return new ProxyStats.BackendStats(key, active.get(), total.get(), failures.get(), engine.ejected(key));
    }
}
