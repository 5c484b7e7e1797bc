package io.vipd.proxy;

import io.vipd.lb.EjectedBackends;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link BackendHealth} of every backend address this node has connected to, by backend key, and as
 * {@link EjectedBackends} the view the candidate order reads. A record is created on first use and forgotten
 * once its backend leaves the table; pickers and runtimes look records up by key rather than keep them, so a
 * forgotten record is simply recreated. Thread-safe and lock-free.
 */
final class BackendHealthRegistry implements EjectedBackends {
    private final int threshold;
    private final Duration backoff;
    private final ConcurrentHashMap<String, BackendHealth> health = new ConcurrentHashMap<>();

    /** See {@link ProxyConfig#ejectionThreshold()} and {@link ProxyConfig#ejectionBackoff()}. */
    BackendHealthRegistry(int threshold, Duration backoff) {
        this.threshold = threshold;
        this.backoff = backoff;
    }

    /** The health record of a backend address, created on first use. */
    BackendHealth of(String key) {
        BackendHealth h = health.get(key);
        return h != null ? h : health.computeIfAbsent(key, k -> new BackendHealth(k, threshold, backoff));
    }

    /** Whether a backend address is ejected now; creates nothing. */
    @Override
    public boolean isEjected(String key) {
        BackendHealth h = health.get(key);
        return h != null && h.isEjected();
    }

    /** How many times a backend address was ejected since its record was created; creates nothing. */
    long ejections(String key) {
        BackendHealth h = health.get(key);
        return h == null ? 0 : h.ejectionsTotal();
    }

    /** Forgets the records of backend addresses not in {@code liveKeys}. */
    void forgetAllBut(Set<String> liveKeys) {
        health.keySet().removeIf(key -> !liveKeys.contains(key));
    }
}
