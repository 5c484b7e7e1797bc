package io.vipd.bench;

import io.vipd.lb.AffinityTable;
import io.vipd.lb.BackendSet;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServicePortName;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** AffinityTable lookup with 10,000 clients recorded against a 100-backend set: hit and miss. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AffinityBench {
    private static final int CLIENTS = 10_000;
    private static final int TIMEOUT = 10800;

    final ServicePortName port = ServicePortName.of("ns", "web", "http", Protocol.TCP);
    AffinityTable table;
    BackendSet backends;
    InetAddress[] known = new InetAddress[CLIENTS];
    InetAddress[] unknown = new InetAddress[CLIENTS];
    int next;

    @Setup
    public void setUp() throws UnknownHostException {
        backends = BackendSet.of(MaglevBuildBench.backends(100, 1));
        table = new AffinityTable(100_000, System::nanoTime);
        for (int i = 0; i < CLIENTS; i++) {
            known[i] = InetAddress.getByAddress(new byte[] {(byte) 198, 18, (byte) (i >> 8), (byte) i});
            unknown[i] = InetAddress.getByAddress(new byte[] {(byte) 198, 19, (byte) (i >> 8), (byte) i});
            table.record(port, known[i], backends.key(i % backends.size()), TIMEOUT);
        }
    }

    private int nextIndex() {
        int i = next + 1;
        next = i == CLIENTS ? 0 : i;
        return next;
    }

    @Benchmark
    public int hit() {
        return table.lookup(port, known[nextIndex()], backends, TIMEOUT);
    }

    @Benchmark
    public int miss() {
        return table.lookup(port, unknown[nextIndex()], backends, TIMEOUT);
    }
}
