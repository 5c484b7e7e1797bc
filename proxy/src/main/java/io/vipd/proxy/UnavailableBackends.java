package io.vipd.proxy;

import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Backends of a service port that take no new flows on this node whatever their weight in the table: drained
 * by an operator ({@code vipd backend drain}: weight 0 at run time) or down by active health checks. Their
 * established connections and UDP flows go on. Per service port, since the same address may serve several.
 *
 * <p>Thread-safe. New flows read it without locking or allocating: each port's state is an immutable value
 * replaced whole on the rare change (a drain, a backend going down or up).
 */
final class UnavailableBackends {
    private record PortState(Set<String> drained, Set<String> down, Set<String> either) {
        static final PortState EMPTY = new PortState(Set.of(), Set.of(), Set.of());

        PortState with(Set<String> drained, Set<String> down) {
            Set<String> either = new HashSet<>(drained);
            either.addAll(down);
            return new PortState(Set.copyOf(drained), Set.copyOf(down), Set.copyOf(either));
        }

        boolean isEmpty() {
            return either.isEmpty();
        }
    }

    private final ConcurrentHashMap<ServicePortName, PortState> ports = new ConcurrentHashMap<>();

    /** The keys of {@code port}'s backends that take no new flows; read per new flow. */
    Set<String> of(ServicePortName port) {
        PortState s = ports.get(port);
        return s == null ? Set.of() : s.either;
    }

    /** @return whether the backend was not drained before */
    boolean drain(ServicePortName port, String key) {
        return change(port, key, true, true);
    }

    /** @return whether the backend was drained */
    boolean undrain(ServicePortName port, String key) {
        return change(port, key, true, false);
    }

    /** Marks a backend down (or up again) by active health checks. */
    void setDown(ServicePortName port, String key, boolean down) {
        change(port, key, false, down);
    }

    boolean isDrained(ServicePortName port, String key) {
        PortState s = ports.get(port);
        return s != null && s.drained.contains(key);
    }

    boolean isDown(ServicePortName port, String key) {
        PortState s = ports.get(port);
        return s != null && s.down.contains(key);
    }

    /** Every drain in force, by service port, sorted. */
    Map<ServicePortName, Set<String>> drained() {
        Map<ServicePortName, Set<String>> out = new TreeMap<>();
        ports.forEach((port, s) -> {
            if (!s.drained.isEmpty()) {
                out.put(port, new TreeSet<>(s.drained));
            }
        });
        return out;
    }

    /**
     * Forgets what is recorded for backends {@code entry} no longer lists, or for the whole port when
     * {@code entry} is null (the port left the table).
     */
    void retainListed(ServicePortName port, ServicePortEntry entry) {
        if (entry == null) {
            ports.remove(port);
            return;
        }
        if (!ports.containsKey(port)) {
            return;
        }
        Set<String> listed = new HashSet<>(entry.endpoints().keys());
        ports.computeIfPresent(port, (p, s) -> {
            if (listed.containsAll(s.either)) {
                return s;
            }
            Set<String> drained = new HashSet<>(s.drained);
            Set<String> down = new HashSet<>(s.down);
            drained.retainAll(listed);
            down.retainAll(listed);
            PortState next = PortState.EMPTY.with(drained, down);
            return next.isEmpty() ? null : next;
        });
    }

    private boolean change(ServicePortName port, String key, boolean drainFlag, boolean on) {
        boolean[] changed = {false};
        ports.compute(port, (p, s) -> {
            PortState current = s == null ? PortState.EMPTY : s;
            Set<String> drained = new HashSet<>(current.drained);
            Set<String> down = new HashSet<>(current.down);
            Set<String> target = drainFlag ? drained : down;
            changed[0] = on ? target.add(key) : target.remove(key);
            if (!changed[0]) {
                return s;
            }
            PortState next = current.with(drained, down);
            return next.isEmpty() ? null : next;
        });
        return changed[0];
    }
}
