package io.vipd.lb;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Active connections per backend key: the hook the proxy calls on connect and close, read by
 * least-connections pickers. Counts are per node, never shared between nodes. Thread-safe.
 */
public final class ConnectionCounts {
    private final ConcurrentHashMap<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    /** Keys found idle and unused by the previous {@link #retainAll}; only its caller's thread touches it. */
    private Set<String> idleBefore = Set.of();

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
     * Forgets counters of backends that were idle and not in {@code liveKeys} at this call and the previous
     * one, so endpoint churn does not grow the map forever. Call it from one thread, after installing pickers:
     * a counter a live picker holds is always for a live key, and a counter with open connections is kept
     * until they close. Waiting for a second call spares a counter that someone took while {@code liveKeys}
     * was being gathered.
     *
     * @return how many counters were dropped
     */
    public int retainAll(Set<String> liveKeys) {
        Set<String> idleNow = new HashSet<>();
        int dropped = 0;
        for (Map.Entry<String, AtomicInteger> e : counts.entrySet()) {
            String key = e.getKey();
            if (liveKeys.contains(key) || e.getValue().get() != 0) {
                continue;
            }
            if (idleBefore.contains(key) && counts.remove(key, e.getValue())) {
                dropped++;
            } else {
                idleNow.add(key);
            }
        }
        idleBefore = idleNow;
        return dropped;
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
