package io.vipd.lb;

import java.net.InetAddress;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * ClientIP session affinity: (client IP, service port) to (backend key, last used), with kube-proxy's
 * semantics. One entry serves every frontend of the service port (ClusterIP, NodePort, ...), as
 * kube-proxy's per-service-port {@code recent} list does. Thread-safe; lookups never lock.
 *
 * <p>Use: on a new flow of a port with {@link ServicePortEntry#clientIpAffinity()}, call {@link #lookup};
 * on a miss pick a backend (Maglev on {@link FlowHash#ofClientIp}, so another node without this state picks
 * the same one) and {@link #record} it once chosen. Call {@link #sweep} periodically to free expired entries.
 *
 * <ul>
 *   <li><b>Window.</b> An entry is sticky during {@code [lastUsed, lastUsed + timeout)} (Cilium's rule,
 *       docs/maglev.md §4.2); every hit and every record refreshes {@code lastUsed}. The timeout is the
 *       service port's current {@code affinityTimeoutSeconds}, so a changed timeout applies at once.</li>
 *   <li><b>Validation.</b> Every hit is checked against the backend set the caller routes with now: an entry
 *       whose backend is gone, or has weight 0, is removed and reported as a miss. Traffic never goes to a
 *       removed backend because of affinity.</li>
 *   <li><b>Bound.</b> At most {@code maxEntries} entries. When full, {@link #record} inserts nothing new
 *       (existing entries are still refreshed or re-pointed) and returns false; new clients then get
 *       stateless affinity from Maglev on the client IP, which picks the same backend as long as the backend
 *       set does not change. Nothing live is evicted, so a flood of new clients cannot break existing
 *       clients' stickiness (Katran's flood guard, docs/maglev.md §4.4 rule 5).</li>
 *   <li><b>Clock.</b> Monotonic nanoseconds from an injected {@link LongSupplier} ({@code System::nanoTime}
 *       in production), compared by difference so wrap-around is harmless.</li>
 * </ul>
 *
 * <p>Lookups allocate nothing: two {@link ConcurrentHashMap#get}s (port, then client), a binary search in the
 * backend set and one volatile write. A port's client map lives until {@link #forgetPort}.
 */
public final class AffinityTable {
    /** Cilium's default affinity map size. */
    public static final int DEFAULT_MAX_ENTRIES = 65536;

    /** Per service port, so that neither a hit nor a miss allocates a composite key. */
    private final ConcurrentHashMap<ServicePortName, ConcurrentHashMap<InetAddress, Entry>> ports =
            new ConcurrentHashMap<>();

    private final AtomicInteger size = new AtomicInteger();
    private final int maxEntries;
    private final LongSupplier nanoClock;

    /**
     * @param maxEntries the most entries kept, at least 1
     * @param nanoClock  monotonic nanoseconds, e.g. {@code System::nanoTime}
     */
    public AffinityTable(int maxEntries, LongSupplier nanoClock) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("affinity maxEntries must be at least 1, got " + maxEntries);
        }
        this.maxEntries = maxEntries;
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /** {@value #DEFAULT_MAX_ENTRIES} entries on the system's monotonic clock. */
    public AffinityTable() {
        this(DEFAULT_MAX_ENTRIES, System::nanoTime);
    }

    /**
     * The sticky backend of a client, refreshed on a hit.
     *
     * @param port           the service port
     * @param client         the client's IP address
     * @param backends       the backends the flow would be routed to now
     * @param timeoutSeconds the port's current affinity timeout; 0 (affinity off) always misses
     * @return the backend's index in {@code backends}, or -1 on a miss (no entry, expired, backend gone)
     */
    public int lookup(ServicePortName port, InetAddress client, BackendSet backends, int timeoutSeconds) {
        if (timeoutSeconds <= 0) {
            return -1;
        }
        ConcurrentHashMap<InetAddress, Entry> clients = ports.get(port);
        Entry e = clients == null ? null : clients.get(client);
        if (e == null) {
            return -1;
        }
        long now = nanoClock.getAsLong();
        if (now - e.lastUsedNanos >= TimeUnit.SECONDS.toNanos(timeoutSeconds)) {
            remove(clients, client, e);
            return -1;
        }
        int index = backends.indexOf(e.backendKey);
        if (index < 0 || backends.get(index).weight() == 0) {
            remove(clients, client, e);
            return -1;
        }
        e.lastUsedNanos = now;
        long timeout = TimeUnit.SECONDS.toNanos(timeoutSeconds);
        if (e.timeoutNanos != timeout) {
            e.timeoutNanos = timeout;
        }
        return index;
    }

    /**
     * Remembers the backend a client's flow was sent to, replacing any other backend for that client and
     * port and starting a new window.
     *
     * @param backendKey     the chosen backend's {@link Backend#key()}
     * @param timeoutSeconds the port's affinity timeout; 0 records nothing
     * @return true if the client has an entry for this backend now; false if the table is full (or the timeout
     *     is 0), in which case the caller keeps relying on stateless Maglev affinity
     */
    public boolean record(ServicePortName port, InetAddress client, String backendKey, int timeoutSeconds) {
        if (timeoutSeconds <= 0) {
            return false;
        }
        long now = nanoClock.getAsLong();
        long timeout = TimeUnit.SECONDS.toNanos(timeoutSeconds);
        ConcurrentHashMap<InetAddress, Entry> clients = ports.computeIfAbsent(port, p -> new ConcurrentHashMap<>());
        Entry current = clients.get(client);
        if (current != null && current.backendKey.equals(backendKey)) {
            current.lastUsedNanos = now;
            current.timeoutNanos = timeout;
            return true;
        }
        Entry fresh = new Entry(backendKey, now, timeout);
        if (current != null) {
            if (clients.replace(client, current, fresh)) {
                return true;
            }
            // Lost a race with a remove or another record; fall through and insert as new.
        }
        if (size.incrementAndGet() > maxEntries) {
            size.decrementAndGet();
            return false;
        }
        Entry raced = clients.putIfAbsent(client, fresh);
        if (raced != null) {
            size.decrementAndGet();
            clients.replace(client, raced, fresh);
        } else if (ports.get(port) != clients) {
            // forgetPort detached this map meanwhile: either its sweep or this check removes the entry.
            remove(clients, client, fresh);
            return false;
        }
        return true;
    }

    /** Removes the client's entry for a port, e.g. after a connect to its backend failed. */
    public void forget(ServicePortName port, InetAddress client) {
        ConcurrentHashMap<InetAddress, Entry> clients = ports.get(port);
        Entry e = clients == null ? null : clients.get(client);
        if (e != null) {
            remove(clients, client, e);
        }
    }

    /** Removes every entry of a service port, when the port is deleted. O(entries of that port). */
    public int forgetPort(ServicePortName port) {
        ConcurrentHashMap<InetAddress, Entry> clients = ports.remove(port);
        return clients == null ? 0 : removeAll(clients, Long.MIN_VALUE);
    }

    /**
     * Removes entries whose window has ended, using the timeout each was last used with. O(size); run it
     * off the connection path (e.g. every few seconds on the sync thread).
     *
     * @return how many entries were removed
     */
    public int sweep() {
        long now = nanoClock.getAsLong();
        int removed = 0;
        for (ConcurrentHashMap<InetAddress, Entry> clients : ports.values()) {
            removed += removeAll(clients, now);
        }
        return removed;
    }

    /** Removes the entries expired at {@code now}; {@code Long.MIN_VALUE} removes all. */
    private int removeAll(ConcurrentHashMap<InetAddress, Entry> clients, long now) {
        int removed = 0;
        for (var en : clients.entrySet()) {
            Entry e = en.getValue();
            boolean expired = now == Long.MIN_VALUE || now - e.lastUsedNanos >= e.timeoutNanos;
            if (expired && clients.remove(en.getKey(), e)) {
                size.decrementAndGet();
                removed++;
            }
        }
        return removed;
    }

    /** How many entries the table holds now, expired ones not yet swept included. */
    public int size() {
        return size.get();
    }

    public int maxEntries() {
        return maxEntries;
    }

    private void remove(ConcurrentHashMap<InetAddress, Entry> clients, InetAddress client, Entry e) {
        if (clients.remove(client, e)) {
            size.decrementAndGet();
        }
    }

    /** The chosen backend is fixed; the window moves. */
    private static final class Entry {
        final String backendKey;
        volatile long lastUsedNanos;
        volatile long timeoutNanos;

        Entry(String backendKey, long lastUsedNanos, long timeoutNanos) {
            this.backendKey = backendKey;
            this.lastUsedNanos = lastUsedNanos;
            this.timeoutNanos = timeoutNanos;
        }
    }
}
