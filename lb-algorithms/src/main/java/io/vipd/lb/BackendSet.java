package io.vipd.lb;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The backends of one route, in canonical order (sorted by {@link Backend#key()}), de-duplicated by key
 * with a local copy preferred, as kube-proxy de-duplicates endpoints. Indexes into a set are what
 * {@link MaglevTable} slots and {@link Picker}s return. Immutable.
 */
public final class BackendSet {
    private static final BackendSet EMPTY = new BackendSet(new Backend[0], new String[0]);

    private final Backend[] backends;
    private final String[] keys;
    /** Made once per set rather than once per connection to a backend. */
    private final InetSocketAddress[] socketAddresses;

    private BackendSet(Backend[] backends, String[] keys) {
        this.backends = backends;
        this.keys = keys;
        this.socketAddresses = new InetSocketAddress[backends.length];
        for (int i = 0; i < backends.length; i++) {
            socketAddresses[i] = backends[i].socketAddress();
        }
    }

    public static BackendSet empty() {
        return EMPTY;
    }

    public static BackendSet of(Backend... backends) {
        return of(Arrays.asList(backends));
    }

    /** Sorts and de-duplicates; on a duplicate key the local copy wins, else the first seen. */
    public static BackendSet of(Collection<Backend> input) {
        if (input.isEmpty()) {
            return EMPTY;
        }
        Map<String, Backend> byKey = new LinkedHashMap<>();
        for (Backend b : input) {
            byKey.merge(b.key(), b, (old, cur) -> !old.local() && cur.local() ? cur : old);
        }
        List<Map.Entry<String, Backend>> sorted = new ArrayList<>(byKey.entrySet());
        sorted.sort(Map.Entry.comparingByKey(Comparator.naturalOrder()));
        Backend[] bs = new Backend[sorted.size()];
        String[] ks = new String[sorted.size()];
        for (int i = 0; i < bs.length; i++) {
            ks[i] = sorted.get(i).getKey();
            bs[i] = sorted.get(i).getValue();
        }
        return new BackendSet(bs, ks);
    }

    public int size() {
        return backends.length;
    }

    public boolean isEmpty() {
        return backends.length == 0;
    }

    public Backend get(int index) {
        return backends[index];
    }

    public String key(int index) {
        return keys[index];
    }

    /** The address to connect to for the backend at {@code index}. */
    public InetSocketAddress socketAddress(int index) {
        return socketAddresses[index];
    }

    /** The index of the backend with this key, or -1. O(log N). */
    public int indexOf(String key) {
        int i = Arrays.binarySearch(keys, key);
        return i >= 0 ? i : -1;
    }

    public boolean containsKey(String key) {
        return indexOf(key) >= 0;
    }

    public List<Backend> backends() {
        return List.of(backends);
    }

    /** Keys in canonical order. */
    public List<String> keys() {
        return List.of(keys);
    }

    /** Backends with positive weight: the ones that can receive new flows. */
    public int eligibleCount() {
        int n = 0;
        for (Backend b : backends) {
            n += b.weight() > 0 ? 1 : 0;
        }
        return n;
    }

    public int[] weights() {
        int[] w = new int[backends.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = backends[i].weight();
        }
        return w;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BackendSet other && Arrays.equals(backends, other.backends);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(backends);
    }

    @Override
    public String toString() {
        return Arrays.toString(keys);
    }
}
