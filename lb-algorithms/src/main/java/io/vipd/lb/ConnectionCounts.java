package io.vipd.lb;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Active connections per backend key: the hook the proxy calls on connect and close, read by
 * least-connections pickers. Counts are per node, never shared between nodes. Thread-safe.
 */
public final class ConnectionCounts {
    private final ConcurrentHashMap<String, AtomicInteger> counts = new ConcurrentHashMap<>();

    /** The live counter for a backend key; callers on the connection path keep it to avoid lookups. */
    public AtomicInteger counter(String backendKey) {
        return counts.computeIfAbsent(backendKey, k -> new AtomicInteger());
    }

    public void opened(String backendKey) {
        counter(backendKey).incrementAndGet();
    }

    public void closed(String backendKey) {
        AtomicInteger c = counts.get(backendKey);
        if (c != null) {
            c.decrementAndGet();
        }
    }

    public int get(String backendKey) {
        AtomicInteger c = counts.get(backendKey);
        return c == null ? 0 : c.get();
    }
}
