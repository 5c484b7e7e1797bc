package io.vipd.lb;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The table the control plane writes and the data plane reads: {@code Frontend(ip, port, protocol)} to the
 * {@link ServicePortEntry} it belongs to, plus a NodePort index by (port, protocol).
 *
 * <p>Readers never lock: a lookup is one {@link ConcurrentHashMap#get} keyed by the accepted socket's own
 * local address, so it allocates nothing. Entries are immutable and replaced whole, so a reader sees either
 * the old or the new entry of a service port, never a mix. Updating one service port touches only its own
 * frontends: O(1) in the number of services. The structure was chosen by a JMH comparison recorded in
 * bench/README.md. Writers are serialised (one sync thread in practice).
 */
public final class ServiceTable {
    private final Map<Protocol, ConcurrentHashMap<InetSocketAddress, FrontendEntry>> byAddress =
            new EnumMap<>(Protocol.class);
    private final Map<Protocol, ConcurrentHashMap<Integer, FrontendEntry>> byNodePort = new EnumMap<>(Protocol.class);
    private final ConcurrentHashMap<ServicePortName, ServicePortEntry> entries = new ConcurrentHashMap<>();
    private final List<TableListener> listeners = new CopyOnWriteArrayList<>();
    private final Object writeLock = new Object();
    private volatile long generation;

    public ServiceTable() {
        for (Protocol p : Protocol.values()) {
            byAddress.put(p, new ConcurrentHashMap<>());
            byNodePort.put(p, new ConcurrentHashMap<>());
        }
    }

    /** The frontend entry for traffic that arrived at {@code local}, or null. Lock-free, allocation-free. */
    public FrontendEntry lookup(Protocol protocol, InetSocketAddress local) {
        return byAddress.get(protocol).get(local);
    }

    /** The NodePort entry for a port, or null. Lock-free. */
    public FrontendEntry lookupNodePort(Protocol protocol, int port) {
        return byNodePort.get(protocol).get(port);
    }

    public ServicePortEntry get(ServicePortName name) {
        return entries.get(name);
    }

    /** A snapshot of every entry, sorted by name. */
    public List<ServicePortEntry> entries() {
        List<ServicePortEntry> list = new ArrayList<>(entries.values());
        list.sort((a, b) -> a.name().compareTo(b.name()));
        return list;
    }

    public int size() {
        return entries.size();
    }

    /** Increases by one with every applied change. */
    public long generation() {
        return generation;
    }

    public void addListener(TableListener listener) {
        listeners.add(listener);
    }

    public void removeListener(TableListener listener) {
        listeners.remove(listener);
    }

    /**
     * Installs or replaces entries and removes others; untouched service ports are not visited.
     *
     * @return the service ports that changed (an upsert equal by identity to the current entry is skipped)
     */
    public Set<ServicePortName> apply(Collection<ServicePortEntry> upserts, Collection<ServicePortName> removals) {
        Set<ServicePortName> changed = new HashSet<>();
        synchronized (writeLock) {
            for (ServicePortName name : removals) {
                ServicePortEntry old = entries.remove(name);
                if (old != null) {
                    unbind(old, Set.of());
                    changed.add(name);
                }
            }
            for (ServicePortEntry entry : upserts) {
                if (entries.get(entry.name()) == entry) {
                    continue;
                }
                ServicePortEntry old = entries.put(entry.name(), entry);
                Set<Frontend> keep = new HashSet<>();
                for (ServiceFrontend f : entry.frontends()) {
                    keep.add(f.frontend());
                    bind(f, new FrontendEntry(entry, f.type()));
                }
                if (old != null) {
                    unbind(old, keep);
                }
                changed.add(entry.name());
            }
            if (!changed.isEmpty()) {
                generation++;
            }
        }
        if (!changed.isEmpty()) {
            Set<ServicePortName> view = Set.copyOf(changed);
            for (TableListener l : listeners) {
                l.onTableChanged(this, view);
            }
        }
        return changed;
    }

    /** Every backend key some entry lists or routes to. O(total backends). */
    public Set<String> backendKeys() {
        Set<String> live = new HashSet<>();
        for (ServicePortEntry e : entries.values()) {
            live.addAll(e.backendKeys());
        }
        return live;
    }

    private void bind(ServiceFrontend f, FrontendEntry value) {
        Frontend fe = f.frontend();
        if (fe.isNodePort()) {
            byNodePort.get(fe.protocol()).put(fe.port(), value);
        } else {
            byAddress.get(fe.protocol()).put(new InetSocketAddress(fe.address(), fe.port()), value);
        }
    }

    /** Removes the old entry's frontends that are not in {@code keep}, unless another port owns them now. */
    private void unbind(ServicePortEntry old, Set<Frontend> keep) {
        for (ServiceFrontend f : old.frontends()) {
            Frontend fe = f.frontend();
            if (keep.contains(fe)) {
                continue;
            }
            if (fe.isNodePort()) {
                byNodePort
                        .get(fe.protocol())
                        .computeIfPresent(fe.port(), (k, v) -> v.entry().name().equals(old.name()) ? null : v);
            } else {
                byAddress
                        .get(fe.protocol())
                        .computeIfPresent(
                                new InetSocketAddress(fe.address(), fe.port()),
                                (k, v) -> v.entry().name().equals(old.name()) ? null : v);
            }
        }
    }
}
