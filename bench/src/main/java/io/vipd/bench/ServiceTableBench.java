package io.vipd.bench;

import com.google.common.collect.ImmutableMap;
import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.Frontend;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jctools.maps.NonBlockingHashMap;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Which structure should map a frontend (the accepted socket's local address) to its service port entry?
 * Lookup cost per new connection and the cost of replacing one service port's value, at 10,000 and 50,000
 * frontends (docs/netty.md §6.2). {@code service-table} is the real {@link ServiceTable} (lookup plus
 * {@code apply} of one entry); the others are the candidate maps on their own.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ServiceTableBench {
    private static final int PROBES = 8192;

    @Param({"chm", "nbhm", "cow-hashmap", "immutable-map", "sharded-snapshot", "service-table"})
    String impl;

    @Param({"10000", "50000"})
    int frontends;

    FrontendMap map;
    ServiceTable table;
    InetSocketAddress[] probes = new InetSocketAddress[PROBES];
    InetSocketAddress updatedKey;
    Object[] updatedValues = new Object[2];
    ServicePortEntry[] updatedEntries = new ServicePortEntry[2];
    int next;
    int flip;

    @Setup
    public void setUp() throws UnknownHostException {
        List<InetSocketAddress> keys = new ArrayList<>();
        for (int i = 0; i < frontends; i++) {
            keys.add(new InetSocketAddress(
                    InetAddress.getByAddress(new byte[] {10, (byte) (96 + (i >> 16)), (byte) (i >> 8), (byte) i}),
                    80 + i % 3));
        }
        BackendSet backends = BackendSet.of(Backend.parse("10.0.0.1:80"), Backend.parse("10.0.0.2:80"));
        if (impl.equals("service-table")) {
            table = new ServiceTable();
            List<ServicePortEntry> entries = new ArrayList<>();
            for (int i = 0; i < frontends; i++) {
                entries.add(entry(i, keys.get(i), backends));
            }
            table.apply(entries, List.of());
            updatedEntries[0] = entry(frontends / 2, keys.get(frontends / 2), backends);
            updatedEntries[1] = entry(frontends / 2, keys.get(frontends / 2), backends);
        } else {
            Map<InetSocketAddress, Object> initial = new HashMap<>();
            for (InetSocketAddress k : keys) {
                initial.put(k, "entry-" + k);
            }
            map = FrontendMap.of(impl);
            map.load(initial);
        }
        Random r = new Random(11);
        for (int i = 0; i < PROBES; i++) {
            InetSocketAddress k = keys.get(r.nextInt(frontends));
            // A fresh, equal address, as a channel's localAddress() is.
            probes[i] = new InetSocketAddress(
                    InetAddress.getByAddress(k.getAddress().getAddress()), k.getPort());
        }
        updatedKey = keys.get(frontends / 2);
        updatedValues[0] = "a";
        updatedValues[1] = "b";
    }

    private static ServicePortEntry entry(int i, InetSocketAddress at, BackendSet backends) {
        ServicePortName name = ServicePortName.of("ns", "svc-" + i, "", Protocol.TCP);
        return ServicePortEntry.builder(name)
                .backends(backends)
                .frontends(List.of(new ServiceFrontend(Frontend.of(at, Protocol.TCP), FrontendType.CLUSTER_IP)))
                .build();
    }

    @Benchmark
    public Object lookup() {
        InetSocketAddress k = probes[next];
        next = (next + 1) & (PROBES - 1);
        return table != null ? table.lookup(Protocol.TCP, k) : map.get(k);
    }

    /** Replacing one service port's value (the structure's share of a one-service change). */
    @Benchmark
    public Object updateOne() {
        flip ^= 1;
        if (table != null) {
            return table.apply(List.of(updatedEntries[flip]), List.of());
        }
        map.put(updatedKey, updatedValues[flip]);
        return map;
    }

    /** The candidates, each written by one thread and read by many. */
    interface FrontendMap {
        Object get(InetSocketAddress key);

        void put(InetSocketAddress key, Object value);

        /** The initial contents, in one step (a snapshot built key by key would cost O(n²)). */
        void load(Map<InetSocketAddress, Object> all);

        static FrontendMap of(String name) {
            switch (name) {
                case "chm":
                    return new Concurrent(new ConcurrentHashMap<>());
                case "nbhm":
                    return new Concurrent(new NonBlockingHashMap<>());
                case "cow-hashmap":
                    return new CopyOnWrite();
                case "immutable-map":
                    return new GuavaRebuild();
                case "sharded-snapshot":
                    return new ShardedSnapshot();
                default:
                    throw new IllegalArgumentException(name);
            }
        }
    }

    static final class Concurrent implements FrontendMap {
        private final Map<InetSocketAddress, Object> map;

        Concurrent(Map<InetSocketAddress, Object> map) {
            this.map = map;
        }

        @Override
        public Object get(InetSocketAddress key) {
            return map.get(key);
        }

        @Override
        public void put(InetSocketAddress key, Object value) {
            map.put(key, value);
        }

        @Override
        public void load(Map<InetSocketAddress, Object> all) {
            map.putAll(all);
        }
    }

    /** A volatile immutable snapshot, copied whole on every change: O(n) per update. */
    static final class CopyOnWrite implements FrontendMap {
        private volatile Map<InetSocketAddress, Object> snapshot = Collections.emptyMap();

        @Override
        public Object get(InetSocketAddress key) {
            return snapshot.get(key);
        }

        @Override
        public void put(InetSocketAddress key, Object value) {
            Map<InetSocketAddress, Object> copy = new HashMap<>(snapshot);
            copy.put(key, value);
            snapshot = copy;
        }

        @Override
        public void load(Map<InetSocketAddress, Object> all) {
            snapshot = new HashMap<>(all);
        }
    }

    /** Guava ImmutableMap rebuilt on every change: O(n) per update. */
    static final class GuavaRebuild implements FrontendMap {
        private volatile ImmutableMap<InetSocketAddress, Object> snapshot = ImmutableMap.of();

        @Override
        public Object get(InetSocketAddress key) {
            return snapshot.get(key);
        }

        @Override
        public void put(InetSocketAddress key, Object value) {
            snapshot = ImmutableMap.<InetSocketAddress, Object>builderWithExpectedSize(snapshot.size() + 1)
                    .putAll(snapshot)
                    .put(key, value)
                    .buildKeepingLast();
        }

        @Override
        public void load(Map<InetSocketAddress, Object> all) {
            snapshot = ImmutableMap.copyOf(all);
        }
    }

    /**
     * A snapshot with structural sharing: 256 immutable shards behind one volatile array; an update copies
     * one shard and the shard array, sharing the other 255 shards with the previous snapshot.
     */
    static final class ShardedSnapshot implements FrontendMap {
        private static final int SHARDS = 256;
        private volatile Map<InetSocketAddress, Object>[] shards = emptyShards();

        @SuppressWarnings("unchecked")
        private static Map<InetSocketAddress, Object>[] emptyShards() {
            Map<InetSocketAddress, Object>[] s = new Map[SHARDS];
            for (int i = 0; i < SHARDS; i++) {
                s[i] = new HashMap<>();
            }
            return s;
        }

        private static int shard(InetSocketAddress key) {
            int h = key.hashCode();
            return (h ^ (h >>> 16) ^ (h >>> 8)) & (SHARDS - 1);
        }

        @Override
        public Object get(InetSocketAddress key) {
            return shards[shard(key)].get(key);
        }

        @Override
        public void put(InetSocketAddress key, Object value) {
            Map<InetSocketAddress, Object>[] copy = shards.clone();
            int s = shard(key);
            Map<InetSocketAddress, Object> shardCopy = new HashMap<>(copy[s]);
            shardCopy.put(key, value);
            copy[s] = shardCopy;
            shards = copy;
        }

        @Override
        public void load(Map<InetSocketAddress, Object> all) {
            Map<InetSocketAddress, Object>[] s = emptyShards();
            all.forEach((k, v) -> s[shard(k)].put(k, v));
            shards = s;
        }
    }
}
