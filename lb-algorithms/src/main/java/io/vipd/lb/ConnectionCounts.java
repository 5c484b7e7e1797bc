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

    /**
     * Forgets idle counters of backends not in {@code liveKeys}, so endpoint churn does not grow the map
     * forever. Call it from the sync thread after installing pickers: a counter a live picker holds is
     * always for a live key, and a counter with open connections is kept until they close.
     *
     * @return how many counters were dropped
     */
    public int retainAll(java.util.Set<String> liveKeys) {
        int before = counts.size();
        counts.entrySet().removeIf(e -> !liveKeys.contains(e.getKey()) && e.getValue().get() == 0);
        return before - counts.size();
    }

    /** How many backends have a counter. */
    public int size() {
        return counts.size();
    }

    public int get(String backendKey) {
        AtomicInteger c = counts.get(backendKey);
        return c == null ? 0 : c.get();
    }
}
