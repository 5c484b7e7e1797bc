package io.vipd.edge;

import io.vipd.lb.Frontend;
import io.vipd.lb.NamespacedName;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.proxy.ListenerException;
import io.vipd.watcher.ChangeTracker;
import io.vipd.watcher.FileSource;
import io.vipd.watcher.SyncException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Moves the service table and the listeners from the configuration in force to a new one, touching only
 * the service ports that were added, removed or changed. Listeners the new configuration needs are bound
 * first, all or nothing, so a port already in use leaves the configuration in force untouched, and accept
 * only once the table holds their frontends; listeners it no longer needs are closed last, keeping their
 * established connections.
 *
 * <p>Each shape of configuration reaches the table by one path. Manifests ({@link ManifestConfig}) are fed to
 * the endpoints watcher's {@link ChangeTracker} through a {@link FileSource}, as a Kubernetes watch feeds it on
 * a node: its sync rebuilds the service ports whose objects changed, over the entries in force, and applies
 * them. Entries a format built ({@link EntryConfig}) are compared with the entries in force and the differing
 * ones installed. Not thread-safe: one reloader thread calls it, and nothing else writes the table.
 */
public final class EdgeConfigApplier {
    private final ServiceTable table;
    private final FrontendListeners listeners;
    private final Set<Frontend> open = new LinkedHashSet<>();
    /** Feeds {@link #tracker} while manifests are in force; null otherwise. */
    private FileSource manifests;

    private ChangeTracker tracker;

    public EdgeConfigApplier(ServiceTable table, FrontendListeners listeners) {
        this.table = table;
        this.listeners = listeners;
    }

    /** What one apply changed. */
    public record Result(
            Set<ServicePortName> added,
            Set<ServicePortName> changed,
            Set<ServicePortName> removed,
            Set<Frontend> opened,
            Set<Frontend> closed) {
        public boolean isEmpty() {
            return added.isEmpty() && changed.isEmpty() && removed.isEmpty() && opened.isEmpty() && closed.isEmpty();
        }
    }

    /**
     * Applies {@code next}. When a listener cannot be opened nothing changed. When manifests name a Service
     * whose service ports cannot be built, that Service keeps the ones in force (and is built again at the next
     * apply), the rest is applied, and no listener is closed.
     *
     * @throws EdgeConfigException when a listener cannot be opened, naming the line or Service that asked for
     *                             it, or when a Service cannot be built
     */
    public Result apply(EdgeConfig next) throws EdgeConfigException {
        Set<Frontend> wanted = next.frontends();
        Set<Frontend> toOpen = new LinkedHashSet<>(wanted);
        toOpen.removeAll(open);
        try {
            if (!toOpen.isEmpty()) {
                listeners.open(toOpen);
            }
        } catch (ListenerException e) {
            ConfigLocation at = e.frontend() == null ? ConfigLocation.UNKNOWN : next.location(e.frontend());
            throw new EdgeConfigException(
                    next.file(), at.line(), (at.path().isEmpty() ? "" : at.path() + ": ") + e.getMessage(), e);
        }
        open.addAll(toOpen);

        Map<ServicePortName, ServicePortEntry> before = inForce();
        SyncException unbuilt = null;
        if (next instanceof ManifestConfig m) {
            unbuilt = sync(m, before);
        } else {
            install((EntryConfig) next, before);
        }
        // Only now: a connection accepted before its frontend is in the table would be reset.
        listeners.accept(toOpen);
        Map<ServicePortName, ServicePortEntry> after = inForce();

        Set<Frontend> toClose = new LinkedHashSet<>();
        // A Service that could not be built keeps its entries, and so the listeners of their frontends.
        if (unbuilt == null) {
            toClose.addAll(open);
            toClose.removeAll(wanted);
        }
        if (!toClose.isEmpty()) {
            listeners.close(toClose);
            open.removeAll(toClose);
        }
        if (unbuilt != null) {
            throw new EdgeConfigException(next.file(), 0, describe(unbuilt));
        }
        return result(before, after, toOpen, toClose);
    }

    private static String describe(SyncException unbuilt) {
        List<NamespacedName> services = unbuilt.services();
        Throwable cause = unbuilt.getCause();
        return "could not build Service " + services.get(0)
                + (services.size() > 1 ? " (and " + (services.size() - 1) + " more)" : "")
                + (cause == null ? "" : ": " + cause.getMessage()) + "; it keeps its service ports in force";
    }

    /** Feeds manifests to the tracker and syncs; returns what could not be built, or null. */
    private SyncException sync(ManifestConfig next, Map<ServicePortName, ServicePortEntry> before) {
        boolean fresh = tracker == null;
        if (fresh) {
            tracker = ManifestConfig.newTracker(table);
            manifests = new FileSource(tracker);
        }
        manifests.apply(next.objects());
        SyncException unbuilt = null;
        try {
            tracker.sync();
        } catch (SyncException e) {
            unbuilt = e;
        }
        if (fresh) {
            // Entries a configuration of the other shape installed: a new tracker replaces every entry it builds,
            // so those still in place are not in the manifests.
            Set<NamespacedName> keptInForce = unbuilt == null ? Set.of() : Set.copyOf(unbuilt.services());
            List<ServicePortName> stale = new ArrayList<>();
            for (Map.Entry<ServicePortName, ServicePortEntry> e : before.entrySet()) {
                if (table.get(e.getKey()) == e.getValue()
                        && !keptInForce.contains(e.getKey().service())) {
                    stale.add(e.getKey());
                }
            }
            table.apply(List.of(), stale);
        }
        return unbuilt;
    }

    /** Installs the entries that differ from those in force and removes the ones not in {@code next}. */
    private void install(EntryConfig next, Map<ServicePortName, ServicePortEntry> before) {
        List<ServicePortEntry> upserts = new ArrayList<>();
        Set<ServicePortName> keep = new LinkedHashSet<>();
        for (ServicePortEntry entry : next.entries()) {
            keep.add(entry.name());
            ServicePortEntry previous = before.get(entry.name());
            if (previous != null && EntrySpec.of(previous).equals(EntrySpec.of(entry))) {
                continue;
            }
            // The loader built the entry over the one in force, so its Maglev tables are already the ones to keep.
            upserts.add(entry);
        }
        Set<ServicePortName> removals = new LinkedHashSet<>(before.keySet());
        removals.removeAll(keep);
        table.apply(upserts, removals);
        // The tracker's entries were just kept, replaced or removed: manifests start from scratch next time.
        tracker = null;
        manifests = null;
    }

    private Map<ServicePortName, ServicePortEntry> inForce() {
        Map<ServicePortName, ServicePortEntry> entries = new HashMap<>();
        for (ServicePortEntry e : table.entries()) {
            entries.put(e.name(), e);
        }
        return entries;
    }

    private static Result result(
            Map<ServicePortName, ServicePortEntry> before,
            Map<ServicePortName, ServicePortEntry> after,
            Set<Frontend> opened,
            Set<Frontend> closed) {
        Set<ServicePortName> added = new LinkedHashSet<>();
        Set<ServicePortName> changed = new LinkedHashSet<>();
        for (Map.Entry<ServicePortName, ServicePortEntry> e : after.entrySet()) {
            ServicePortEntry was = before.get(e.getKey());
            if (was == null) {
                added.add(e.getKey());
            } else if (was != e.getValue()) {
                changed.add(e.getKey());
            }
        }
        Set<ServicePortName> removed = new LinkedHashSet<>(before.keySet());
        removed.removeAll(after.keySet());
        return new Result(
                Set.copyOf(added), Set.copyOf(changed), Set.copyOf(removed), Set.copyOf(opened), Set.copyOf(closed));
    }

    /** The entry in force for {@code name}, or null. */
    public ServicePortEntry applied(ServicePortName name) {
        return table.get(name);
    }

    /** The frontends this applier opened and has not closed. */
    public Set<Frontend> openFrontends() {
        return Set.copyOf(open);
    }
}
