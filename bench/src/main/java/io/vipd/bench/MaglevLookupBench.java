package io.vipd.bench;

import io.vipd.lb.BackendSet;
import io.vipd.lb.FlowHash;
import io.vipd.lb.MaglevTable;
import io.vipd.lb.Protocol;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * New-flow backend choice at M = 65537, N = 100 (T6: ≤ 15 ns including the flow hash, zero allocation; run
 * with {@code -prof gc} and read gc.alloc.rate.norm). Clients cycle through 4096 pre-built addresses, as a
 * proxy reads them from accepted channels.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MaglevLookupBench {
    private static final int CLIENTS = 4096;

    MaglevTable table;
    long[] hashes = new long[CLIENTS];
    InetSocketAddress[] v4Clients = new InetSocketAddress[CLIENTS];
    InetSocketAddress[] v6Clients = new InetSocketAddress[CLIENTS];
    InetSocketAddress v4Frontend;
    InetSocketAddress v6Frontend;
    int next;

    @Setup
    public void setUp() throws UnknownHostException {
        BackendSet set = BackendSet.of(MaglevBuildBench.backends(100, 1));
        table = MaglevTable.build(set.keys(), set.weights(), 65537);
        Random r = new Random(3);
        for (int i = 0; i < CLIENTS; i++) {
            hashes[i] = r.nextLong();
            byte[] v4 = {(byte) 198, (byte) (18 + r.nextInt(2)), (byte) r.nextInt(256), (byte) r.nextInt(256)};
            byte[] v6 = new byte[16];
            r.nextBytes(v6);
            v6[0] = 0x20;
            v6[1] = 0x01;
            int port = 1024 + r.nextInt(60000);
            v4Clients[i] = new InetSocketAddress(InetAddress.getByAddress(v4), port);
            v6Clients[i] = new InetSocketAddress(InetAddress.getByAddress(v6), port);
        }
        v4Frontend = new InetSocketAddress(InetAddress.getByAddress(new byte[] {10, 96, 0, 10}), 80);
        byte[] fd = new byte[16];
        fd[0] = (byte) 0xfd;
        fd[15] = 10;
        v6Frontend = new InetSocketAddress(InetAddress.getByAddress(fd), 80);
    }

    private int nextIndex() {
        int i = next;
        next = (i + 1) & (CLIENTS - 1);
        return i;
    }

    /** The table access alone (T6's ≤ 5 ns part). */
    @Benchmark
    public int tableOnly() {
        return table.lookup(hashes[nextIndex()]);
    }

    @Benchmark
    public int fiveTupleIpv4() {
        return table.lookup(FlowHash.of(v4Clients[nextIndex()], v4Frontend, Protocol.TCP));
    }

    @Benchmark
    public int fiveTupleIpv6() {
        return table.lookup(FlowHash.of(v6Clients[nextIndex()], v6Frontend, Protocol.TCP));
    }

    /** ClientIP affinity hashing. */
    @Benchmark
    public int clientIpIpv4() {
        return table.lookup(FlowHash.ofClientIp(v4Clients[nextIndex()].getAddress()));
    }
}
