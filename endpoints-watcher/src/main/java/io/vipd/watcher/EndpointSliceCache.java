package io.vipd.watcher;

import io.vipd.lb.NamespacedName;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * kube-proxy's EndpointSliceCache: the slices of every service, by slice name, as last reported and as a sync
 * last took them, and which slices differ between the two. Slices are kept apart and merged only when a
 * service port is built, so an endpoint moving from one slice to another never disappears in between; a
 * slice that returns to what the last sync took is no change.
 *
 * <p>Not thread-safe: its {@link EndpointsChangeTracker} guards it.
 */
final class EndpointSliceCache {
    private final Map<NamespacedName, Map<String, EndpointSliceInfo>> latest = new HashMap<>();
    private final Map<NamespacedName, Map<String, EndpointSliceInfo>> applied = new HashMap<>();
    private final Map<NamespacedName, Set<String>> pending = new HashMap<>();
    /** The service each slice was last filed under, so a slice relabelled to another service leaves the first. */
    private final Map<NamespacedName, NamespacedName> owner = new HashMap<>();

    /**
     * Files a slice under its service, or removes it ({@code info == null}).
     *
     * @return whether anything changed
     */
    boolean update(NamespacedName sliceKey, EndpointSliceInfo info) {
        NamespacedName service = info == null ? null : info.service();
        NamespacedName oldService = owner.get(sliceKey);
        boolean changed = false;
        if (oldService != null && !oldService.equals(service)) {
            changed |= stage(oldService, sliceKey.name(), null);
            owner.remove(sliceKey);
        }
        if (service != null) {
            changed |= stage(service, sliceKey.name(), info);
            owner.put(sliceKey, service);
        }
        return changed;
    }

    private boolean stage(NamespacedName service, String sliceName, EndpointSliceInfo info) {
        Map<String, EndpointSliceInfo> current = latest.get(service);
        EndpointSliceInfo old = current == null ? null : current.get(sliceName);
        if (Objects.equals(old, info)) {
            return false;
        }
        if (info == null) {
            current.remove(sliceName);
            if (current.isEmpty()) {
                latest.remove(service);
            }
        } else {
            latest.computeIfAbsent(service, k -> new HashMap<>()).put(sliceName, info);
        }
        EndpointSliceInfo taken = applied.getOrDefault(service, Map.of()).get(sliceName);
        if (Objects.equals(taken, info)) {
            Set<String> p = pending.get(service);
            if (p != null) {
                p.remove(sliceName);
                if (p.isEmpty()) {
                    pending.remove(service);
                }
            }
        } else {
            pending.computeIfAbsent(service, k -> new HashSet<>()).add(sliceName);
        }
        return true;
    }

    /** The number of services with a pending slice change. */
    int pendingServices() {
        return pending.size();
    }

    /** Takes every pending change for a sync and returns the services they belong to. */
    Set<NamespacedName> checkout() {
        Set<NamespacedName> taken = Set.copyOf(pending.keySet());
        for (Map.Entry<NamespacedName, Set<String>> e : pending.entrySet()) {
            Map<String, EndpointSliceInfo> current = latest.getOrDefault(e.getKey(), Map.of());
            Map<String, EndpointSliceInfo> took = applied.computeIfAbsent(e.getKey(), k -> new HashMap<>());
            for (String name : e.getValue()) {
                EndpointSliceInfo info = current.get(name);
                if (info == null) {
                    took.remove(name);
                } else {
                    took.put(name, info);
                }
            }
            if (took.isEmpty()) {
                applied.remove(e.getKey());
            }
        }
        pending.clear();
        return taken;
    }

    /** The services that had slices at the last checkout. */
    Set<NamespacedName> appliedServices() {
        return Set.copyOf(applied.keySet());
    }

    /** A service's slices as of the last checkout. */
    List<EndpointSliceInfo> applied(NamespacedName service) {
        Map<String, EndpointSliceInfo> s = applied.get(service);
        return s == null ? List.of() : List.copyOf(s.values());
    }
}
