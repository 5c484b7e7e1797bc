package io.vipd.bench;

import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.MaglevTable;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Maglev table build time, single thread (docs/maglev.md §6 T1–T4: M = 65537, N = 100 within 1 ms).
 * The weighted case uses skewed weights, which take the heap schedule.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MaglevBuildBench {
    @Param({"16381", "65537", "131071"})
    int m;

    @Param({"10", "100", "1000"})
    int n;

    @Param({"equal", "skewed"})
    String weights;

    List<String> keys;
    int[] weightArray;

    @Setup
    public void setUp() {
        BackendSet set = BackendSet.of(backends(n, 1));
        keys = set.keys();
        weightArray = set.weights();
        if (weights.equals("skewed")) {
            Random r = new Random(7);
            for (int i = 0; i < n; i++) {
                weightArray[i] = i == 0 ? 1000 : 1 + r.nextInt(10);
            }
        }
    }

    @Benchmark
    public MaglevTable build() {
        return MaglevTable.build(keys, weightArray, m);
    }

    /** {@code n} distinct IPv4 backends 10.x.y.z:port from a fixed seed. */
    static List<Backend> backends(int n, long seed) {
        Random r = new Random(seed);
        List<Backend> out = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        while (out.size() < n) {
            byte[] a = {10, (byte) r.nextInt(256), (byte) r.nextInt(256), (byte) (1 + r.nextInt(254))};
            try {
                Backend b = Backend.of(InetAddress.getByAddress(a), 1 + r.nextInt(65535));
                if (seen.add(b.key())) {
                    out.add(b);
                }
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }
}
