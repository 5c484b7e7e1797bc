package io.vipd.watcher;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import java.util.List;

/** A tracker over a fresh table and registry, already initialized. */
final class TrackerHarness {
    static final String NODE = "node-1";
    final ServiceTable table = new ServiceTable();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final ChangeTracker tracker;

    TrackerHarness() {
        this(FeatureGates.defaults(), true);
    }

    TrackerHarness(FeatureGates gates, boolean initialized) {
        tracker = new ChangeTracker(NODE, gates, table, registry);
        if (initialized) {
            tracker.servicesSynced();
            tracker.endpointSlicesSynced();
        }
    }

    ServicePortEntry entry(String ns, String name, String port, Protocol protocol) {
        return table.get(ServicePortName.of(ns, name, port, protocol));
    }

    ServicePortEntry entry(String ns, String name, String port) {
        return entry(ns, name, port, Protocol.TCP);
    }

    static List<String> keys(BackendSet set) {
        return set == null ? null : set.keys();
    }

    static Backend backend(ServicePortEntry e, String key) {
        int i = e.endpoints().indexOf(key);
        return i < 0 ? null : e.endpoints().get(i);
    }

    double skipped(SkipReason reason) {
        return registry.get("vipd_watcher_skipped_objects_total")
                .tag("reason", reason.label())
                .counter()
                .count();
    }
}
