package io.vipd.watcher;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.vipd.lb.NamespacedName;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * kube-proxy's EndpointsChangeTracker: converts EndpointSlices and files them in the {@link EndpointSliceCache},
 * and remembers when the changes it takes were triggered (the {@code last-change-trigger-time} annotation) for
 * the network programming latency.
 *
 * <p>Thread-safe: source threads call {@link #update}; the sync thread calls {@link #checkout} and then reads
 * what it took with {@link #applied}, which only a checkout changes.
 */
final class EndpointsChangeTracker {
    private static final int MAX_TRIGGER_TIMES_PER_SERVICE = 32;

    private final WatcherMetrics metrics;
    /** Changes triggered before this instant happened before vipd started: they are not vipd's latency. */
    private final Instant startTime;

    private final Object lock = new Object();
    // Guarded by lock.
    private final EndpointSliceCache cache = new EndpointSliceCache();
    private final Map<NamespacedName, List<Instant>> triggerTimes = new HashMap<>();

    EndpointsChangeTracker(WatcherMetrics metrics, Instant startTime) {
        this.metrics = metrics;
        this.startTime = startTime;
    }

    /**
     * An EndpointSlice was added or updated, or removed ({@code removed == true}). A slice that becomes
     * unusable (FQDN, headless, another proxy's) counts as removed.
     *
     * @return false when the object was ignored: null, without a name, or an update without the service-name
     *         label (each reported as a skip)
     */
    boolean update(EndpointSlice slice, boolean removed) {
        if (slice == null) {
            return false;
        }
        NamespacedName sliceKey = EndpointSliceConversions.sliceKey(slice);
        if (sliceKey == null) {
            metrics.skipped(SkipReason.MISSING_METADATA, "EndpointSlice", "no metadata.name");
            return false;
        }
        if (!removed
                && EndpointSliceConversions.serviceKey(slice) == null
                && !EndpointSliceConversions.excluded(slice)) {
            // As kube-proxy: an update without the service-name label is reported and ignored, so the slice's
            // last good state stays.
            metrics.skipped(
                    SkipReason.SLICE_WITHOUT_SERVICE_LABEL,
                    "EndpointSlice " + sliceKey,
                    "no label " + EndpointSliceConversions.SERVICE_NAME_LABEL);
            return false;
        }
        EndpointSliceInfo info = removed ? null : EndpointSliceConversions.convert(slice, metrics);
        Instant trigger = removed ? null : EndpointSliceConversions.triggerTime(slice);
        synchronized (lock) {
            if (cache.update(sliceKey, info)) {
                metrics.endpointChanges.increment();
                // Only changes made after the proxy started count towards network programming latency.
                if (trigger != null && info != null && trigger.isAfter(startTime)) {
                    List<Instant> times = triggerTimes.computeIfAbsent(info.service(), k -> new ArrayList<>());
                    if (times.size() < MAX_TRIGGER_TIMES_PER_SERVICE) {
                        times.add(trigger);
                    }
                }
                metrics.endpointChangesPending.set(cache.pendingServices());
            }
        }
        return true;
    }

    /** Whether some slice differs from what the last checkout took. */
    boolean hasPending() {
        synchronized (lock) {
            return cache.pendingServices() > 0;
        }
    }

    /** Takes every pending change for a sync and returns the services whose slices changed. */
    Set<NamespacedName> checkout() {
        synchronized (lock) {
            Set<NamespacedName> taken = cache.checkout();
            metrics.endpointChangesPending.set(0);
            return taken;
        }
    }

    /** When the changes of these services were triggered; forgets them. */
    List<Instant> takeTriggerTimes(Collection<NamespacedName> services) {
        synchronized (lock) {
            List<Instant> taken = new ArrayList<>();
            for (NamespacedName svc : services) {
                List<Instant> t = triggerTimes.remove(svc);
                if (t != null) {
                    taken.addAll(t);
                }
            }
            return taken;
        }
    }

    /** The services that had slices at the last checkout. */
    Set<NamespacedName> appliedServices() {
        synchronized (lock) {
            return cache.appliedServices();
        }
    }

    /** A service's slices as of the last checkout. */
    List<EndpointSliceInfo> applied(NamespacedName service) {
        synchronized (lock) {
            return cache.applied(service);
        }
    }
}
