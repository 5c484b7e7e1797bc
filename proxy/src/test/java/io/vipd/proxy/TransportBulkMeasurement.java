package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.backends;
import static io.vipd.proxy.Fixtures.entry;
import static io.vipd.proxy.Fixtures.tcpFrontend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.epoll.Epoll;
import io.vipd.lb.Frontend;
import io.vipd.lb.ServiceTable;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A figure, not a pass/fail test: one bulk TCP stream through vipd on loopback, per transport (epoll with splice
 * off and auto, io_uring), interleaved rounds: throughput and the event loop's CPU per GiB. The client and the
 * sink run in this JVM on the same cores, so it only ranks the transports roughly; the benchmark (bench/run)
 * gives the real figures. Bounded (3 rounds of 256 MiB per transport, one event loop) and opt-in, since it
 * loads a shared machine: {@code -Dvipd.measure=transport-bulk}. Writes {@code target/transport-bulk.txt}.
 */
class TransportBulkMeasurement {
    private static final int ROUNDS = 3;
    private static final long BYTES = 256L * 1024 * 1024;

    private record Variant(String name, TransportChoice transport, SpliceMode splice) {}

    @Test
    void oneBulkStreamPerTransport() throws Exception {
        assumeTrue(
                "transport-bulk".equals(System.getProperty("vipd.measure")),
                "a measurement: run with -Dvipd.measure=transport-bulk");
        assumeTrue(Epoll.isAvailable(), "native epoll");
        IoUringRequirement.assumeAvailable();
        List<Variant> variants = List.of(
                new Variant("epoll, splice off", TransportChoice.EPOLL, SpliceMode.OFF),
                new Variant("epoll, splice auto", TransportChoice.EPOLL, SpliceMode.AUTO),
                new Variant("io_uring", TransportChoice.IO_URING, SpliceMode.OFF));
        StringBuilder report = new StringBuilder("one stream of " + BYTES / (1024 * 1024) + " MiB per run, "
                + "1 event loop; Gbit/s and event-loop CPU seconds per GiB\n");
        try (TcpBackend sink = new TcpBackend("127.0.0.2", 0, s -> {
            s.getInputStream().transferTo(OutputStream.nullOutputStream());
            s.getOutputStream().write(1);
        })) {
            for (int round = 1; round <= ROUNDS; round++) {
                for (Variant v : variants) {
                    double[] r = run(v, sink);
                    report.append(String.format(
                            "round %d  %-18s  %6.2f Gbit/s  %5.3f cpu-s/GiB%n", round, v.name(), r[0], r[1]));
                }
            }
        }
        System.out.print(report);
        Files.writeString(Path.of("target", "transport-bulk.txt"), report);
    }

    /** @return Gbit/s and event-loop CPU seconds per GiB */
    private static double[] run(Variant v, TcpBackend sink) throws Exception {
        ServiceTable table = new ServiceTable();
        Frontend f = tcpFrontend("127.0.0.1");
        table.apply(List.of(entry("bulk", f, backends(sink.address())).build()), List.of());
        ProxyServer proxy = new ProxyServer(
                table,
                ProxyConfig.defaults()
                        .withEventLoops(1)
                        .withTransport(v.transport())
                        .withSplice(v.splice()),
                new SimpleMeterRegistry());
        try {
            proxy.start();
            proxy.open(List.of(f));
            long cpuBefore = loopCpuNanos();
            long start = System.nanoTime();
            try (Socket s = new Socket()) {
                s.connect(Fixtures.address(f), 3000);
                s.setSoTimeout(60_000);
                OutputStream out = s.getOutputStream();
                byte[] chunk = new byte[256 * 1024];
                for (long sent = 0; sent < BYTES; sent += chunk.length) {
                    out.write(chunk);
                }
                s.shutdownOutput();
                InputStream in = s.getInputStream();
                assertThat(in.read()).as("the sink read every byte").isEqualTo(1);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpu = (loopCpuNanos() - cpuBefore) / 1e9;
            double gib = BYTES / (1024.0 * 1024 * 1024);
            return new double[] {BYTES * 8 / seconds / 1e9, cpu / gib};
        } finally {
            proxy.close();
        }
    }

    private static long loopCpuNanos() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("vipd-loop") || t.getName().startsWith("vipd-epoll-loop")) {
                long n = mx.getThreadCpuTime(t.getId());
                total += Math.max(0, n);
            }
        }
        return total;
    }
}
