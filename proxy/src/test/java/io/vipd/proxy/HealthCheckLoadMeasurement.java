package io.vipd.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.Frontend;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A figure, not a pass/fail test: what 10,000 health-checked backends at a 2 s interval (http checks, 5,000 a
 * second) cost, and whether they disturb forwarding: the CPU per second of the forwarding event loop and of the
 * checks' loop, and the round-trip latency of a small echo through vipd on loopback, without and with the
 * checks. One forwarding loop. Bounded (about 25 s, one connection, 3,000 round trips per phase) and
 * opt-in, since it loads a shared machine: {@code -Dvipd.measure=health-checks}. Writes
 * {@code target/health-check-load.txt}.
 */
class HealthCheckLoadMeasurement {
    private static final int SERVICES = 100;
    private static final int BACKENDS_PER_SERVICE = 100;
    private static final int ROUND_TRIPS = 3000;
    private static final Duration CHECK_WINDOW = Duration.ofSeconds(8);

    @Test
    void tenThousandBackendsCheckedEveryTwoSeconds() throws Exception {
        assumeTrue(
                "health-checks".equals(System.getProperty("vipd.measure")),
                "a measurement: run with -Dvipd.measure=health-checks");
        assumeTrue(Epoll.isAvailable(), "native epoll");
        // The tests run Netty's leak detector at "paranoid", which records every buffer; a running vipd samples.
        ResourceLeakDetector.Level testLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
        // The echo backend and the check responders on threads of their own, so that neither waits for the other.
        MultiThreadIoEventLoopGroup side = new MultiThreadIoEventLoopGroup(
                1, new DefaultThreadFactory("measure-echo"), EpollIoHandler.newFactory());
        MultiThreadIoEventLoopGroup responders = new MultiThreadIoEventLoopGroup(
                1, new DefaultThreadFactory("measure-responders"), EpollIoHandler.newFactory());
        ServiceTable table = new ServiceTable();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ProxyServer proxy = new ProxyServer(table, ProxyConfig.defaults().withEventLoops(1), registry);
        try {
            Channel echo = serve(side, new InetSocketAddress("127.0.0.1", 0), false);
            List<Backend> checked = new ArrayList<>();
            for (int i = 0; i < BACKENDS_PER_SERVICE; i++) {
                Channel responder = serve(responders, new InetSocketAddress("127.0.0.1", 0), true);
                checked.add(Backend.of((InetSocketAddress) responder.localAddress(), 1));
            }
            proxy.start();
            InetSocketAddress front = new InetSocketAddress("127.0.0.1", freePort());
            ServicePortName echoName = ServicePortName.of("default", "echo", "", Protocol.TCP);
            List<ServicePortEntry> entries = new ArrayList<>();
            entries.add(ServicePortEntry.builder(echoName)
                    .frontends(
                            List.of(new ServiceFrontend(Frontend.of(front, Protocol.TCP), FrontendType.LOAD_BALANCER)))
                    .backends(BackendSet.of(Backend.of((InetSocketAddress) echo.localAddress(), 1)))
                    .build());
            // 100 ports of 100 backends each; the same 100 responders serve each port: a target per (port, backend).
            Map<ServicePortName, HealthCheck> checks = new HashMap<>();
            for (int s = 0; s < SERVICES; s++) {
                ServicePortName name = ServicePortName.of("default", "checked-" + s, "", Protocol.TCP);
                entries.add(ServicePortEntry.builder(name)
                        .backends(BackendSet.of(checked))
                        .build());
                checks.put(
                        name,
                        new HealthCheck(
                                HealthCheck.Type.HTTP,
                                "/healthz",
                                0,
                                Duration.ofSeconds(2),
                                Duration.ofSeconds(1),
                                2,
                                3));
            }
            table.apply(entries, List.of());
            proxy.open(List.of(Frontend.of(front, Protocol.TCP)));

            StringBuilder report = new StringBuilder();
            try (Socket client = new Socket()) {
                client.setTcpNoDelay(true);
                client.connect(front, 3000);
                client.setSoTimeout(5000);
                roundTrips(client, 1000); // warm-up
                report.append(phase("without checks", client));

                proxy.setHealthChecks(checks);
                Thread.sleep(4000); // the first round of checks spreads over the first interval
                long[] before = checkCounts(registry);
                long windowStart = System.nanoTime();
                report.append(phase("with 10,000 http checks every 2s", client));
                long[] after = checkCounts(registry);
                double seconds = (System.nanoTime() - windowStart) / 1e9;
                report.append(String.format(
                        "checks in the window: %d passed, %d failed, %.0f a second (5,000 a second asked for)%n",
                        after[0] - before[0],
                        after[1] - before[1],
                        (after[0] - before[0] + after[1] - before[1]) / seconds));
                assertThat(after[0] - before[0]).as("checks ran").isPositive();
            }
            System.out.print(report);
            Files.writeString(Path.of("target", "health-check-load.txt"), report.toString());
        } finally {
            proxy.close();
            side.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
            responders
                    .shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS)
                    .syncUninterruptibly();
            ResourceLeakDetector.setLevel(testLevel);
        }
    }

    /** The loop's CPU over a window, and echo round trips spread over it. */
    private static String phase(String name, Socket client) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long cpu0 = threadCpuNanos(mx, "vipd-loop");
        long checks0 = threadCpuNanos(mx, "vipd-health");
        long t0 = System.nanoTime();
        long pause = CHECK_WINDOW.toNanos() / ROUND_TRIPS;
        long[] rtt = new long[ROUND_TRIPS];
        byte[] payload = new byte[64];
        byte[] back = new byte[64];
        OutputStream out = client.getOutputStream();
        InputStream in = client.getInputStream();
        int done = 0;
        long deadline = t0 + 2 * CHECK_WINDOW.toNanos();
        for (int i = 0; i < ROUND_TRIPS && System.nanoTime() < deadline; i++) {
            done++;
            long start = System.nanoTime();
            out.write(payload);
            out.flush();
            int read = 0;
            while (read < back.length) {
                int n = in.read(back, read, back.length - read);
                if (n < 0) {
                    throw new IllegalStateException("echo closed");
                }
                read += n;
            }
            rtt[i] = System.nanoTime() - start;
            long next = t0 + (i + 1) * pause;
            while (System.nanoTime() < next) {
                Thread.sleep(0, 200_000);
            }
        }
        long wall = System.nanoTime() - t0;
        long cpu = threadCpuNanos(mx, "vipd-loop") - cpu0;
        long checks = threadCpuNanos(mx, "vipd-health") - checks0;
        rtt = Arrays.copyOf(rtt, done);
        Arrays.sort(rtt);
        return String.format(
                "%s: forwarding loop CPU %.1f ms per s, health-check loop CPU %.1f ms per s; echo round trip p50 %d"
                        + " us, p99 %d us, p99.9 %d us, max %d us (%d round trips over %.1f s)%n",
                name,
                cpu / 1e6 / (wall / 1e9),
                checks / 1e6 / (wall / 1e9),
                rtt[done / 2] / 1000,
                rtt[done * 99 / 100] / 1000,
                rtt[done * 999 / 1000] / 1000,
                rtt[done - 1] / 1000,
                done,
                wall / 1e9);
    }

    private static long threadCpuNanos(ThreadMXBean mx, String namePrefix) {
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(namePrefix)) {
                sum += Math.max(0, mx.getThreadCpuTime(t.getId()));
            }
        }
        return sum;
    }

    private static void roundTrips(Socket client, int n) throws Exception {
        byte[] b = new byte[64];
        for (int i = 0; i < n; i++) {
            client.getOutputStream().write(b);
            client.getInputStream().readNBytes(b.length);
        }
    }

    /** Checks run so far: passed, failed. */
    private static long[] checkCounts(SimpleMeterRegistry registry) {
        long[] out = new long[2];
        for (Counter c : registry.find("vipd.health.checks").counters()) {
            out["pass".equals(c.getId().getTag("result")) ? 0 : 1] += (long) c.count();
        }
        return out;
    }

    /** An echo server, or an HTTP responder that answers 200 to the first read and closes. */
    private static Channel serve(MultiThreadIoEventLoopGroup group, InetSocketAddress at, boolean http)
            throws InterruptedException {
        byte[] ok =
                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        return new ServerBootstrap()
                .group(group)
                .channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (http) {
                                    ReferenceCountUtil.release(msg);
                                    ctx.writeAndFlush(Unpooled.wrappedBuffer(ok))
                                            .addListener(ChannelFutureListener.CLOSE);
                                } else {
                                    ctx.writeAndFlush(msg);
                                }
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close();
                            }
                        });
                    }
                })
                .bind(at)
                .sync()
                .channel();
    }

    private static int freePort() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
