package io.vipd.bench;

import io.vipd.lb.BackendSet;
import io.vipd.lb.FlowHash;
import io.vipd.lb.MaglevTable;
import io.vipd.lb.Protocol;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Random;

/**
 * Maglev build and lookup cost in thread CPU time rather than wall time: on a shared, overloaded machine the
 * scheduler's preemption inflates JMH's wall-clock scores, while CPU time only counts this thread's cycles
 * (it still includes SMT and cache interference). A cross-check for MaglevBuildBench and MaglevLookupBench.
 * Usage: {@code java -cp bench/target/benchmarks.jar io.vipd.bench.MaglevCpuTime}.
 */
public final class MaglevCpuTime {
    private static long sink;

    private MaglevCpuTime() {}

    public static void main(String[] args) throws UnknownHostException {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        System.out.println("| M | N | build CPU ms p50 | p90 | min |");
        System.out.println("|---|---|---|---|---|");
        for (int m : new int[] {16381, 65537, 131071}) {
            for (int n : new int[] {1, 10, 100, 1000}) {
                BackendSet set = BackendSet.of(MaglevBuildBench.backends(n, 1));
                for (int i = 0; i < 300; i++) {
                    sink += MaglevTable.build(set.keys(), set.weights(), m).size();
                }
                long[] samples = new long[200];
                for (int i = 0; i < samples.length; i++) {
                    long t0 = mx.getCurrentThreadCpuTime();
                    sink += MaglevTable.build(set.keys(), set.weights(), m).size();
                    samples[i] = mx.getCurrentThreadCpuTime() - t0;
                }
                Arrays.sort(samples);
                System.out.printf(
                        "| %d | %d | %.3f | %.3f | %.3f |%n",
                        m, n, samples[100] / 1e6, samples[180] / 1e6, samples[0] / 1e6);
            }
        }
        lookups(mx);
    }

    private static void lookups(ThreadMXBean mx) throws UnknownHostException {
        BackendSet set = BackendSet.of(MaglevBuildBench.backends(100, 1));
        MaglevTable table = MaglevTable.build(set.keys(), set.weights(), 65537);
        int clients = 4096;
        Random r = new Random(3);
        long[] hashes = new long[clients];
        InetSocketAddress[] v4 = new InetSocketAddress[clients];
        for (int i = 0; i < clients; i++) {
            hashes[i] = r.nextLong();
            v4[i] = new InetSocketAddress(
                    InetAddress.getByAddress(new byte[] {(byte) 198, 18, (byte) r.nextInt(256), (byte) r.nextInt(256)}),
                    1024 + r.nextInt(60000));
        }
        InetSocketAddress frontend = new InetSocketAddress(InetAddress.getByAddress(new byte[] {10, 96, 0, 10}), 80);
        int ops = 20_000_000;
        System.out.println("| round | table only ns/op (CPU) | 5-tuple IPv4 hash + lookup ns/op (CPU) |");
        System.out.println("|---|---|---|");
        for (int round = 1; round <= 5; round++) {
            long s = 0;
            long t0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < ops; i++) {
                s += table.lookup(hashes[i & (clients - 1)]);
            }
            long t1 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < ops; i++) {
                s += table.lookup(FlowHash.of(v4[i & (clients - 1)], frontend, Protocol.TCP));
            }
            long t2 = mx.getCurrentThreadCpuTime();
            sink += s;
            System.out.printf("| %d | %.2f | %.2f |%n", round, (t1 - t0) / (double) ops, (t2 - t1) / (double) ops);
        }
        System.out.println("(checksum " + sink + ")");
    }
}
