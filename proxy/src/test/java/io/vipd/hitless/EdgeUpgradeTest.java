package io.vipd.hitless;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vipd.cli.Main;
import io.vipd.handover.StateDirectory;
import io.vipd.proxy.IoUringRequirement;
import io.vipd.proxy.TcpBackend;
import io.vipd.testing.Requires;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vipd edge} upgraded twice under load on loopback: each new process takes the listening sockets over
 * the state directory, and the client sees no refused or reset connection, no broken established one, and no
 * pause in UDP answers.
 */
class EdgeUpgradeTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    /** --transport of every process started. */
    private String transport = "auto";

    @AfterEach
    void stop() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (AutoCloseable c : closeLater) {
            c.close();
        }
    }

    @Test
    @Requires(epoll = true, commands = "ss") // hand-over passes epoll sockets; ss shows who listens
    void twoUpgradesUnderLoadLoseNothing() throws Exception {
        twoUpgradesUnderLoad("auto");
    }

    /**
     * The same on io_uring: each successor wraps the inherited UDP sockets in io_uring channels and the TCP ones in
     * epoll channels (Netty's io_uring server channel cannot wrap an existing socket).
     */
    @Test
    @Requires(epoll = true, commands = "ss")
    void twoUpgradesOnIoUringUnderLoadLoseNothing() throws Exception {
        IoUringRequirement.assumeAvailable();
        twoUpgradesUnderLoad("io_uring");
    }

    private void twoUpgradesUnderLoad(String transport) throws Exception {
        this.transport = transport;
        TcpBackend tcpBackend = TcpBackend.echo("127.0.0.2");
        closeLater.add(tcpBackend);
        DatagramSocket udpBackend = new DatagramSocket(new InetSocketAddress("127.0.0.2", 0));
        closeLater.add(udpBackend);
        Thread echo = new Thread(() -> udpEcho(udpBackend), "udp-echo");
        echo.setDaemon(true);
        echo.start();
        InetSocketAddress tcp = new InetSocketAddress("127.0.0.1", freePort());
        InetSocketAddress udp = new InetSocketAddress("127.0.0.1", freePort());
        Path config = dir.resolve("edge.yaml");
        Files.writeString(
                config,
                String.join(
                        "\n",
                        "services:",
                        "  - name: echo",
                        "    listen: [\"127.0.0.1:" + tcp.getPort() + "\"]",
                        "    backends: [\"127.0.0.2:" + tcpBackend.address().getPort() + "\"]",
                        "  - name: echo-udp",
                        "    protocol: UDP",
                        "    listen: [\"127.0.0.1:" + udp.getPort() + "\"]",
                        "    backends: [\"127.0.0.2:" + udpBackend.getLocalPort() + "\"]",
                        ""));
        StateDirectory state = new StateDirectory(dir.resolve("state"));

        Process first = startEdge(config, state, "first");
        await().atMost(WAIT).until(() -> connects(tcp));
        HitlessLoad load = new HitlessLoad(
                tcp, udp, new PrintStream(dir.resolve("load.log").toFile()));
        load.start();
        Thread.sleep(2000);

        long firstHandover = upgrade(config, state, first, tcp.getPort(), "second");
        Process second = processes.get(processes.size() - 1);
        Thread.sleep(2000);
        long secondHandover = upgrade(config, state, second, tcp.getPort(), "third");
        Process third = processes.get(processes.size() - 1);
        Thread.sleep(2000);
        load.close();

        assertThat(load.failures()).as("what the clients saw").isEmpty();
        assertThat(load.newConnectionsOk()).isGreaterThan(50);
        assertThat(load.longLivedExchanges()).isGreaterThan(40);
        assertThat(load.udpAnswers()).isGreaterThan(30);
        assertThat(load.udpMaxGapMillis())
                .as("longest pause between UDP answers, ms")
                .isLessThan(2000);
        assertThat(ListeningSockets.tcpOwners(null, tcp.getPort())).containsExactly(third.pid());
        // With their connections closed, the old processes finish by themselves.
        assertThat(first.waitFor(20, TimeUnit.SECONDS))
                .as("first process exits")
                .isTrue();
        assertThat(second.waitFor(20, TimeUnit.SECONDS))
                .as("second process exits")
                .isTrue();
        assertThat(first.exitValue()).isZero();
        assertThat(second.exitValue()).isZero();
        assertThat(third.isAlive()).isTrue();
        if (transport.equals("io_uring")) {
            String log = Files.readString(dir.resolve("third.log"));
            assertThat(log).contains("transport=\"io_uring\"");
            assertThat(log)
                    .as("the inherited TCP listener is served by epoll, saying why")
                    .contains("listener runs on epoll")
                    .contains("no IoUringServerSocketChannel(fd)");
        }
        System.out.printf(
                "edge hand-over: new process start to old process holding no listener: %d ms, %d ms%n",
                firstHandover, secondHandover);
    }

    /**
     * Starts a new vipd edge on the same state directory and waits until the old one holds no listener.
     *
     * @return milliseconds from the new process's start until then
     */
    private long upgrade(Path config, StateDirectory state, Process old, int port, String name) throws Exception {
        long start = System.nanoTime();
        Process next = startEdge(config, state, name);
        await().atMost(WAIT)
                .pollInterval(Duration.ofMillis(20))
                .until(() -> ListeningSockets.tcpOwners(null, port).equals(Set.of(next.pid())));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        // The owner file (readiness) follows right after the listeners move.
        await().atMost(WAIT).until(() -> state.ownerPid().equals(java.util.Optional.of(next.pid())));
        assertThat(old.isAlive())
                .as("the old process still relays its established connections")
                .isTrue();
        return millis;
    }

    private Process startEdge(Path config, StateDirectory state, String name) throws IOException {
        List<String> command = List.of(
                System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                "-cp",
                System.getProperty("java.class.path"),
                "-Xmx128m",
                Main.class.getName(),
                "edge",
                "--config",
                config.toString(),
                "--state-dir",
                state.path().toString(),
                "--metrics-bind-address",
                "",
                "--healthz-bind-address",
                "",
                "--transport",
                transport);
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile())
                .start();
        processes.add(p);
        return p;
    }

    private static void udpEcho(DatagramSocket s) {
        byte[] buf = new byte[2048];
        while (!s.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                s.receive(p);
                s.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static boolean connects(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
