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
    /** Health is looked up, not kept: the registry may forget and recreate a record, and pickers read it. */
    private final BackendHealthRegistry health;

    final AtomicInteger active = new AtomicInteger();
    final AtomicLong total = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final Counter ok;
    final Counter connectFailed;

    BackendRuntime(String key, BackendHealthRegistry health, Counter ok, Counter connectFailed) {
        this.key = key;
        this.health = health;
        this.ok = ok;
        this.connectFailed = connectFailed;
    }

    void connected() {
        active.incrementAndGet();
        total.incrementAndGet();
        ok.increment();
        health.of(key).succeeded();
    }

    /**
     * maxConnectionsPerBackend: counts a connection about to be made if fewer than {@code max} are open, so
     * that concurrent connects on other loops cannot overshoot; {@link #connected(boolean)} then does not count
     * it again, and a failed attempt gives it back with {@link #disconnected()}.
     */
    boolean tryReserve(int max) {
        for (; ; ) {
            int n = active.get();
            if (n >= max) {
                return false;
            }
            if (active.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Whether a connection could reserve a slot now (a snapshot: another may take it first). */
    boolean hasRoom(int max) {
        return active.get() < max;
    }

    /** A connect succeeded; {@code reserved} when {@link #tryReserve} counted it already. */
    void connected(boolean reserved) {
        if (!reserved) {
            active.incrementAndGet();
        }
        total.incrementAndGet();
        ok.increment();
        health.of(key).succeeded();
    }

    void disconnected() {
        active.decrementAndGet();
    }

    void connectFailed() {
        failures.incrementAndGet();
        connectFailed.increment();
        health.of(key).failed();
    }

    void removeMeters(MeterRegistry registry) {
        registry.remove(ok);
        registry.remove(connectFailed);
    }

    ProxyStats.BackendStats snapshot() {
        return new ProxyStats.BackendStats(
                key, active.get(), total.get(), failures.get(), health.isEjected(key), health.ejections(key));
    }
}
