package io.vipd.edge;

import io.vipd.lb.Frontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.proxy.ListenerException;
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
 * established connections. Not thread-safe: one reloader
 * thread calls it.
 */
public final class EdgeConfigApplier {
    private final ServiceTable table;
    private final FrontendListeners listeners;
    private final Map<ServicePortName, ServicePortEntry> applied = new HashMap<>();
    private final Set<Frontend> open = new LinkedHashSet<>();

    public EdgeConfigApplier(ServiceTable table, FrontendListeners listeners) {
        this.table = table;
        this.listeners = listeners;
    }

    /** What one apply changed. */
    public record Result(Set<ServicePortName> added, Set<ServicePortName> changed, Set<ServicePortName> removed,
                         Set<Frontend> opened, Set<Frontend> closed) {
        public boolean isEmpty() {
            return added.isEmpty() && changed.isEmpty() && removed.isEmpty() && opened.isEmpty() && closed.isEmpty();
        }
    }

    /**
     * Applies {@code next}. On failure nothing changed.
     *
     * @throws EdgeConfigException when a listener cannot be opened, naming the line that asked for it
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
            throw new EdgeConfigException(next.file(), at.line(),
                    (at.path().isEmpty() ? "" : at.path() + ": ") + e.getMessage(), e);
        }
        open.addAll(toOpen);

        Set<ServicePortName> added = new LinkedHashSet<>();
        Set<ServicePortName> changed = new LinkedHashSet<>();
        List<ServicePortEntry> upserts = new ArrayList<>();
        Set<ServicePortName> keep = new LinkedHashSet<>();
        for (ServicePortEntry entry : next.entries()) {
            keep.add(entry.name());
            ServicePortEntry previous = applied.get(entry.name());
            if (previous != null && EntrySpec.of(previous).equals(EntrySpec.of(entry))) {
                continue;
            }
            // The loader built the entry over the one in force, so its Maglev tables are already the ones to keep.
            upserts.add(entry);
            (previous == null ? added : changed).add(entry.name());
        }
        Set<ServicePortName> removed = new LinkedHashSet<>(applied.keySet());
        removed.removeAll(keep);
        table.apply(upserts, removed);
        // Only now: a connection accepted before its frontend is in the table would be reset.
        listeners.accept(toOpen);
        for (ServicePortEntry e : upserts) {
            applied.put(e.name(), e);
        }
        applied.keySet().removeAll(removed);

        Set<Frontend> toClose = new LinkedHashSet<>(open);
        toClose.removeAll(wanted);
        if (!toClose.isEmpty()) {
            listeners.close(toClose);
            open.removeAll(toClose);
        }
        return new Result(Set.copyOf(added), Set.copyOf(changed), Set.copyOf(removed), Set.copyOf(toOpen),
                Set.copyOf(toClose));
    }

    /** The entry in force for {@code name}, or null. */
    public ServicePortEntry applied(ServicePortName name) {
        return applied.get(name);
    }

    /** The frontends this applier opened and has not closed. */
    public Set<Frontend> openFrontends() {
        return Set.copyOf(open);
    }
}
