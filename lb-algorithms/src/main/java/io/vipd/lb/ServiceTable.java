package io.vipd.lb;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
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
    /** Guarded by writeLock: every service port that lists a frontend, in the order they were written. */
    private final Map<Frontend, Map<ServicePortName, FrontendEntry>> owners = new HashMap<>();

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
            Set<Frontend> touched = new LinkedHashSet<>();
            for (ServicePortName name : removals) {
                ServicePortEntry old = entries.remove(name);
                if (old != null) {
                    disown(old, touched);
                    changed.add(name);
                }
            }
            for (ServicePortEntry entry : upserts) {
                if (entries.get(entry.name()) == entry) {
                    continue;
                }
                ServicePortEntry old = entries.put(entry.name(), entry);
                if (old != null) {
                    disown(old, touched);
                }
                for (ServiceFrontend f : entry.frontends()) {
                    // Re-inserted last: of owners that do not share by server name, the last written wins.
                    owners.computeIfAbsent(f.frontend(), k -> new LinkedHashMap<>())
                            .put(entry.name(), new FrontendEntry(entry, f.type()));
                    touched.add(f.frontend());
                }
                changed.add(entry.name());
            }
            for (Frontend f : touched) {
                publish(f);
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

    private void disown(ServicePortEntry old, Set<Frontend> touched) {
        for (ServiceFrontend f : old.frontends()) {
            Map<ServicePortName, FrontendEntry> owning = owners.get(f.frontend());
            if (owning != null) {
                owning.remove(old.name());
                if (owning.isEmpty()) {
                    owners.remove(f.frontend());
                }
            }
            touched.add(f.frontend());
        }
    }

    /**
     * Publishes what a frontend's traffic finds now: nothing, its one owner, the last-written of several (a
     * conflict kube-proxy resolves the same way), or, when an owner names TLS server names, the server-name
     * routes over every owner.
     */
    private void publish(Frontend fe) {
        Map<ServicePortName, FrontendEntry> owning = owners.get(fe);
        FrontendEntry value = null;
        if (owning != null) {
            boolean byName = false;
            for (FrontendEntry e : owning.values()) {
                value = e;
                byName |= !e.entry().edge().serverNames().isEmpty();
            }
            if (byName) {
                List<FrontendEntry> sharing = new ArrayList<>(owning.values());
                sharing.sort((a, b) -> a.entry().name().compareTo(b.entry().name()));
                value = new FrontendEntry(sharing.get(0).entry(), value.type(), new ServerNameRoutes(sharing));
            }
        }
        if (fe.isNodePort()) {
            if (value == null) {
                byNodePort.get(fe.protocol()).remove(fe.port());
            } else {
                byNodePort.get(fe.protocol()).put(fe.port(), value);
            }
        } else {
            InetSocketAddress key = new InetSocketAddress(fe.address(), fe.port());
            if (value == null) {
                byAddress.get(fe.protocol()).remove(key);
            } else {
                byAddress.get(fe.protocol()).put(key, value);
            }
        }
    }
}
