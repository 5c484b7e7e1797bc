package io.vipd.bench;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What idle connections cost vipd: starts {@code vipd edge} as its own JVM with a capped heap, opens N
 * client connections through it to a backend that greets each one (so every connection is relayed end to
 * end), and reads vipd's heap after a full GC, its direct memory and its resident set, before and after.
 * Loopback only. Needs about 2N+200 open files in this JVM and in vipd's: run it under
 * {@code prlimit --nofile=65536} as root for 10,000 connections.
 */
@Command(
        name = "idle-connections",
        mixinStandardHelpOptions = true,
        description = "vipd's memory with N idle relayed connections (loopback).")
public final class IdleConnections implements Callable<Integer> {
    private static final String FRONT_IP = "127.0.83.1";
    private static final String BACKEND_IP = "127.0.83.2";
    private static final Duration CONNECT_BUDGET = Duration.ofMinutes(3);

    @Option(names = "--connections", defaultValue = "10000", description = "idle connections to hold (default 10000)")
    int connections;

    @Option(names = "--max-heap", defaultValue = "256m", description = "vipd's -Xmx (default 256m)")
    String maxHeap;

    @Option(names = "--work", description = "directory for vipd's config and log (default: a temporary one)")
    Path work;

    public static void main(String[] args) {
        System.exit(new CommandLine(new IdleConnections()).execute(args));
    }

    /** vipd's memory at one moment, after a full GC. */
    record Memory(long heapUsed, long directUsed, long residentSet, long activeConnections) {
        String row(String label) {
            return String.format(
                    Locale.ROOT,
                    "| %s | %d | %.1f | %.1f | %.1f |",
                    label,
                    activeConnections,
                    heapUsed / 1048576.0,
                    directUsed / 1048576.0,
                    residentSet / 1048576.0);
        }
    }

    /** Both snapshots; {@code perConnection} is the heap growth per held connection. */
    record Result(Memory idle, Memory loaded) {
        double heapBytesPerConnection() {
            return loaded.activeConnections == 0
                    ? 0
                    : (double) (loaded.heapUsed - idle.heapUsed) / loaded.activeConnections;
        }
    }

    @Override
    public Integer call() throws Exception {
        Result r = measure(connections, maxHeap, work == null ? Files.createTempDirectory("vipd-idle") : work);
        System.out.println("vipd with -Xmx" + maxHeap + ", " + connections + " idle connections (loopback)");
        System.out.println();
        System.out.println(
                "| state | vipd_connections_active | heap after full GC MiB | direct (JDK + Netty pool) MiB | RSS MiB |");
        System.out.println("|---|---:|---:|---:|---:|");
        System.out.println(r.idle().row("no connections"));
        System.out.println(r.loaded().row(connections + " idle connections"));
        System.out.printf(Locale.ROOT, "%nheap per idle connection: %.0f bytes%n", r.heapBytesPerConnection());
        return r.loaded().activeConnections() == connections ? 0 : 1;
    }

    static Result measure(int n, String maxHeap, Path work) throws Exception {
        List<SocketChannel> clients = new ArrayList<>(n);
        try (ServerSocketChannel backend = ServerSocketChannel.open()) {
            backend.bind(new InetSocketAddress(BACKEND_IP, 0), 4096);
            List<SocketChannel> accepted = new ArrayList<>(n);
            Thread acceptor = greeter(backend, accepted);
            int front = freePort(FRONT_IP);
            int admin = freePort("127.0.0.1");
            Path config = work.resolve("idle.yaml");
            Files.writeString(
                    config,
                    "services:\n  - name: idle\n    listen: [\"" + FRONT_IP + ":" + front + "\"]\n"
                            + "    backends: [\"" + BACKEND_IP + ":"
                            + backend.socket().getLocalPort() + "\"]\n");
            Process vipd = new ProcessBuilder(
                            javaBin(),
                            "-Xmx" + maxHeap,
                            "-cp",
                            System.getProperty("java.class.path"),
                            "io.vipd.cli.Main",
                            "edge",
                            "--config",
                            config.toString(),
                            "--metrics-bind-address",
                            "127.0.0.1:" + admin,
                            "--healthz-bind-address",
                            "")
                    .redirectErrorStream(true)
                    .redirectOutput(work.resolve("vipd.log").toFile())
                    .start();
            try {
                InetSocketAddress frontend = new InetSocketAddress(FRONT_IP, front);
                URI metrics = URI.create("http://127.0.0.1:" + admin + "/metrics");
                awaitMetrics(metrics, vipd);
                Memory idle = snapshot(vipd, metrics);
                long deadline = System.nanoTime() + CONNECT_BUDGET.toNanos();
                ByteBuffer greeting = ByteBuffer.allocate(1);
                for (int i = 0; i < n && System.nanoTime() < deadline; i++) {
                    SocketChannel c = SocketChannel.open(frontend);
                    clients.add(c);
                    greeting.clear();
                    // The backend's greeting proves the connection is relayed end to end, not just accepted.
                    if (c.read(greeting) != 1) {
                        throw new IOException("connection " + i + " closed before the backend's greeting");
                    }
                }
                Memory loaded = snapshot(vipd, metrics);
                acceptor.interrupt();
                return new Result(idle, loaded);
            } finally {
                for (SocketChannel c : clients) {
                    c.close();
                }
                vipd.destroy();
                if (!vipd.waitFor(30, TimeUnit.SECONDS)) {
                    vipd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
                synchronized (accepted) {
                    for (SocketChannel a : accepted) {
                        a.close();
                    }
                }
            }
        }
    }

    /** Accepts and writes one byte to each backend connection, keeping it open. */
    private static Thread greeter(ServerSocketChannel backend, List<SocketChannel> accepted) {
        Thread t = new Thread(
                () -> {
                    ByteBuffer hello = ByteBuffer.wrap(new byte[] {'h'});
                    while (!Thread.currentThread().isInterrupted()) {
                        try {
                            SocketChannel a = backend.accept();
                            synchronized (accepted) {
                                accepted.add(a);
                            }
                            a.write(hello.rewind());
                        } catch (IOException e) {
                            return;
                        }
                    }
                },
                "idle-backend");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void awaitMetrics(URI metrics, Process vipd) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!vipd.isAlive()) {
                throw new IOException("vipd exited with " + vipd.exitValue() + " before serving /metrics");
            }
            try {
                get(metrics);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IOException("vipd's /metrics did not answer within 60 s");
    }

    /** A full GC in vipd (jcmd), then its heap and direct memory from /metrics and its RSS from /proc. */
    private static Memory snapshot(Process vipd, URI metrics) throws Exception {
        Process gc = new ProcessBuilder(jcmd(), Long.toString(vipd.pid()), "GC.run")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!gc.waitFor(60, TimeUnit.SECONDS) || gc.exitValue() != 0) {
            gc.destroyForcibly();
            throw new IOException("jcmd " + vipd.pid() + " GC.run failed");
        }
        String text = get(metrics);
        return new Memory(
                sum(text, "jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*}"),
                sum(text, "jvm_buffer_memory_used_bytes\\{[^}]*id=\"direct\"[^}]*}")
                        + sum(text, "vipd_netty_allocator_used_direct_bytes\\{[^}]*}"),
                residentSet(vipd.pid()),
                sum(text, "vipd_connections_active\\{[^}]*}"));
    }

    /** The sum of every sample whose name and labels match {@code series}. */
    static long sum(String prometheusText, String series) {
        Matcher m = Pattern.compile("(?m)^" + series + " ([0-9.eE+-]+)$").matcher(prometheusText);
        double total = 0;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
        }
        return Math.round(total);
    }

    private static long residentSet(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }

    private static String get(URI uri) throws IOException, InterruptedException {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(uri + ": HTTP " + r.statusCode());
        }
        return r.body();
    }

    private static int freePort(String ip) throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(ip, 0));
            return s.getLocalPort();
        }
    }

    private static String javaBin() {
        return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    }

    private static String jcmd() {
        return System.getProperty("java.home") + File.separator + "bin" + File.separator + "jcmd";
    }
}
