package io.vipd.bench;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vipd.lb.ServiceTable;
import io.vipd.watcher.ChangeTracker;
import io.vipd.watcher.FeatureGates;
import io.vipd.watcher.SyncResult;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The watcher's control plane at 10,000 services x 10 endpoints: one EndpointSlice change applied through
 * {@link ChangeTracker} (stage + incremental sync + table apply, Maglev rebuild included), and a full initial
 * build. Targets: one update p99 <= 5 ms; the whole table within 2 s of the initial lists; heap <= 200 MB.
 *
 * <p>Run: {@code java -cp ... org.openjdk.jmh.Main ChangeTrackerBench}; heap and full-build time:
 * {@code java -cp ... io.vipd.bench.ChangeTrackerBench}.
 */
@State(Scope.Benchmark)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ChangeTrackerBench {
    static final int SERVICES = 10_000;
    static final int ENDPOINTS = 10;

    private Service[] services;
    private EndpointSlice[][] slices;
    private boolean[] flipped;
    private ChangeTracker tracker;
    private int next;

    static Service service(int i) {
        return new ServiceBuilder()
                .withNewMetadata()
                .withNamespace("ns" + (i % 100))
                .withName("svc" + i)
                .endMetadata()
                .withNewSpec()
                .withClusterIP("10.96." + (i / 256) + "." + (i % 256))
                .addNewPort()
                .withName("http")
                .withProtocol("TCP")
                .withPort(80)
                .endPort()
                .endSpec()
                .build();
    }

    /** The service's slice; version 1 replaces one endpoint, as a rolling update does. */
    static EndpointSlice slice(int i, int version) {
        Endpoint[] eps = new Endpoint[ENDPOINTS];
        for (int e = 0; e < ENDPOINTS; e++) {
            int host = i * (ENDPOINTS + 1) + e + (e == 0 ? version * ENDPOINTS : 0);
            eps[e] = new EndpointBuilder()
                    .withAddresses("10." + (64 + host / 65536) + "." + (host / 256 % 256) + "." + (host % 256))
                    .withNodeName("node-" + (e % 5))
                    .withNewConditions()
                    .withReady(true)
                    .endConditions()
                    .build();
        }
        return new EndpointSliceBuilder()
                .withNewMetadata()
                .withNamespace("ns" + (i % 100))
                .withName("svc" + i + "-x")
                .addToLabels("kubernetes.io/service-name", "svc" + i)
                .endMetadata()
                .withAddressType("IPv4")
                .addNewPort()
                .withName("http")
                .withProtocol("TCP")
                .withPort(8080)
                .endPort()
                .withEndpoints(eps)
                .build();
    }

    static ChangeTracker build(Service[] services, EndpointSlice[][] slices) {
        ChangeTracker t =
                new ChangeTracker("node-1", FeatureGates.defaults(), new ServiceTable(), new SimpleMeterRegistry());
        for (int i = 0; i < services.length; i++) {
            t.onServiceUpdate(null, services[i]);
            t.onEndpointSliceUpdate(slices[i][0], false);
        }
        t.servicesSynced();
        t.endpointSlicesSynced();
        t.sync();
        return t;
    }

    static Service[] services() {
        Service[] s = new Service[SERVICES];
        for (int i = 0; i < SERVICES; i++) {
            s[i] = service(i);
        }
        return s;
    }

    static EndpointSlice[][] slices() {
        EndpointSlice[][] s = new EndpointSlice[SERVICES][2];
        for (int i = 0; i < SERVICES; i++) {
            s[i][0] = slice(i, 0);
            s[i][1] = slice(i, 1);
        }
        return s;
    }

    @Setup(Level.Trial)
    public void setUp() {
        services = services();
        slices = slices();
        flipped = new boolean[SERVICES];
        tracker = build(services, slices);
    }

    /** One slice of one service changes; the next sync rebuilds that service port only. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public SyncResult applyOneEndpointSliceChange() {
        int i = next;
        next = (next + 7919) % SERVICES;
        flipped[i] = !flipped[i];
        tracker.onEndpointSliceUpdate(slices[i][flipped[i] ? 1 : 0], false);
        return tracker.sync();
    }

    /** Time to the complete table from delivered initial lists, and the heap the tracker and table retain. */
    public static void main(String[] args) {
        System.gc();
        long empty = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        Service[] s = services();
        EndpointSlice[][] sl = slices();
        System.gc();
        // About what the informers' caches hold: the same objects, built without the managedFields that vipd's
        // item store strips.
        double objectsMb =
                (ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() - empty) / 1e6;
        System.out.printf("fabric8 Service and EndpointSlice objects: %.1f MB retained%n", objectsMb);
        for (int round = 0; round < 3; round++) {
            System.gc();
            long before =
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            long c0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            ChangeTracker t = build(s, sl);
            long t1 = System.nanoTime();
            long c1 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            System.gc();
            long after =
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            System.out.printf(
                    "round %d: full build of %d services x %d endpoints: %d ms wall, %d ms cpu;"
                            + " retained heap %.1f MB (tracker + table), %.1f MB with the fabric8 objects;"
                            + " table size %d%n",
                    round,
                    SERVICES,
                    ENDPOINTS,
                    TimeUnit.NANOSECONDS.toMillis(t1 - t0),
                    TimeUnit.NANOSECONDS.toMillis(c1 - c0),
                    (after - before) / 1e6,
                    (after - before) / 1e6 + objectsMb,
                    t.table().size());
        }
    }
}
