package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.vipd.cli.demo.DemoBackends;
import io.vipd.cli.demo.DemoClient;
import io.vipd.lb.Addresses;
import io.vipd.proxy.TcpBackend;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code vipd edge} and {@code vipd demo} as commands: exit codes, {@code --check}, SIGTERM drain, SIGHUP reload,
 * the demo's self-test.
 */
class EdgeCommandTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void aStartUpConfigErrorExitsWith2AndTheReasonOnOneLine() throws Exception {
        Path file = dir.resolve("edge.yaml");
        Files.writeString(file, "services:\n  - name: web\n    listen: [\"127.0.0.1:8080\", \"127.0.0.1\"]\n");

        String[] result = run(new EdgeCommand(), "--config", file.toString());

        assertThat(result[0]).isEqualTo("2");
        assertThat(result[2])
                .isEqualTo("vipd edge: " + file + ":3: services[0].listen[1]: not an ip:port: \"127.0.0.1\"\n");
    }

    @Test
    void aBusyAdminPortExitsWith2BeforeAnyListenerOpens() throws Exception {
        Path file = dir.resolve("edge.yaml");
        int port = freeTcpPort("127.0.79.10");
        Files.writeString(file, "services:\n  - name: web\n    listen: [\"127.0.79.10:" + port + "\"]\n");
        try (ServerSocket busy = new ServerSocket()) {
            busy.bind(new InetSocketAddress("127.0.0.1", 0));

            String[] result = run(
                    new EdgeCommand(),
                    "--config",
                    file.toString(),
                    "--metrics-bind-address",
                    "127.0.0.1:" + busy.getLocalPort(),
                    "--healthz-bind-address",
                    "");

            assertThat(result[0]).isEqualTo("2");
            assertThat(result[2]).startsWith("vipd edge: cannot listen on 127.0.0.1:" + busy.getLocalPort() + ": ");
            assertThat(connects(new InetSocketAddress("127.0.79.10", port))).isFalse();
        }
    }

    @Test
    void aMissingConfigFileExitsWith2() {
        String[] result =
                run(new EdgeCommand(), "--config", dir.resolve("nope.yaml").toString());

        assertThat(result[0]).isEqualTo("2");
        assertThat(result[2]).contains("nope.yaml: no such file");
    }

    @Test
    void checkOfAValidFilePrintsASummaryAndExits0WithoutBindingAnything() throws Exception {
        // Every address the file and the admin flags name is held here, so any bind would fail.
        try (ServerSocket web = new ServerSocket();
                ServerSocket metrics = new ServerSocket()) {
            web.bind(new InetSocketAddress("127.0.79.30", 0));
            metrics.bind(new InetSocketAddress("127.0.0.1", 0));
            Path file = dir.resolve("edge.yaml");
            Files.writeString(
                    file,
                    "services:\n  - name: web\n    listen: [\"127.0.79.30:" + web.getLocalPort() + "\"]\n"
                            + "  - name: dns\n    protocol: UDP\n    listen: [\"127.0.79.30:53\", \"127.0.79.31:53\"]\n");

            String[] result = run(
                    new EdgeCommand(),
                    "--check",
                    "--config",
                    file.toString(),
                    "--metrics-bind-address",
                    "127.0.0.1:" + metrics.getLocalPort(),
                    "--healthz-bind-address",
                    "");

            assertThat(result[0]).as(result[2]).isEqualTo("0");
            assertThat(result[1]).isEqualTo(file + ": configuration OK (2 services, 3 frontends)\n");
            assertThat(result[2]).isEmpty();
        }
    }

    @Test
    void checkOfABadFileExitsWith2AndTheMessageAStartWouldPrint() throws Exception {
        Path file = dir.resolve("edge.yaml");
        Files.writeString(file, "services:\n  - name: web\n    listen: [\"127.0.0.1:8080\", \"127.0.0.1\"]\n");

        String[] check = run(new EdgeCommand(), "--check", "--config", file.toString());
        String[] start = run(new EdgeCommand(), "--config", file.toString());

        assertThat(check[0]).isEqualTo("2");
        assertThat(check[1]).isEmpty();
        assertThat(check[2])
                .isEqualTo("vipd edge: " + file + ":3: services[0].listen[1]: not an ip:port: \"127.0.0.1\"\n")
                .isEqualTo(start[2]);
    }

    @Test
    void checkOfAMissingFileExitsWith2() {
        String[] result = run(
                new EdgeCommand(),
                "--check",
                "--config",
                dir.resolve("nope.yaml").toString());

        assertThat(result[0]).isEqualTo("2");
        assertThat(result[2]).isEqualTo("vipd edge: " + dir.resolve("nope.yaml") + ": no such file\n");
    }

    @Test
    void demoSelfTestReportsSpreadAffinityFailoverAndUdp() throws Exception {
        String front = "127.0.78.1";
        List<String> web = List.of(key("127.0.78.2"), key("127.0.78.3"), key("127.0.78.4"));
        Path file = dir.resolve("demo.yaml");
        Files.writeString(
                file,
                "services:\n"
                        + "  - name: web\n    listen: [\"" + key(front) + "\"]\n    backends: ["
                        + String.join(", ", web) + "]\n"
                        + "  - name: web-sticky\n    listen: [\"" + key(front) + "\"]\n    sessionAffinity: ClientIP\n"
                        + "    backends: [" + String.join(", ", web) + "]\n"
                        + "  - name: echo\n    protocol: UDP\n    listen: [\"" + front + ":" + freeUdpPort(front)
                        + "\"]\n"
                        + "    backends: [\"127.0.78.2:" + freeUdpPort("127.0.78.2") + "\"]\n");

        String[] result = run(
                new DemoCommand(),
                "--self-test",
                "--config",
                file.toString(),
                "--metrics-bind-address",
                "127.0.0.1:0",
                "--healthz-bind-address",
                "127.0.0.1:0");

        assertThat(result[0]).as(result[1] + result[2]).isEqualTo("0");
        assertThat(result[1])
                .containsPattern("spread: +web: 30 requests \\(new connection each\\) answered by [23] backends")
                .containsPattern(
                        "affinity: web-sticky \\(ClientIP\\): 20 requests answered by \\{127\\.0\\.78\\.\\d:\\d+=20}  ok")
                .containsPattern(
                        "failover: stopped backend 127\\.0\\.78\\.\\d:\\d+; web: 20/20 answered .*; web-sticky: 20/20"
                                + " answered by \\{127\\.0\\.78\\.\\d:\\d+=20}  ok")
                .contains("udp:      echo ")
                .contains("5/5 datagrams echoed")
                .endsWith("demo self-test passed\n");
    }

    @Test
    void sigtermStopsAcceptingDrainsEstablishedConnectionsAndExits0() throws Exception {
        String front = "127.0.79.1";
        int port = freeTcpPort(front);
        try (DemoBackends backends = new DemoBackends();
                TcpBackend echo = TcpBackend.echo("127.0.79.2")) {
            InetSocketAddress http = new InetSocketAddress("127.0.79.3", freeTcpPort("127.0.79.3"));
            backends.startHttp(http);
            int echoPort = echo.address().getPort();
            Path file = dir.resolve("edge.yaml");
            Files.writeString(
                    file,
                    "services:\n  - name: echo\n    listen: [\"" + front + ":" + port + "\"]\n"
                            + "    backends: [\"127.0.79.2:" + echoPort + "\"]\n");
            InetSocketAddress frontend = new InetSocketAddress(front, port);
            Process vipd = startEdge(
                    file,
                    frontend,
                    "--metrics-bind-address",
                    "127.0.0.1:0",
                    "--healthz-bind-address",
                    "127.0.0.1:0",
                    "--shutdown-grace",
                    "20s");
            try {
                try (Socket established = new Socket()) {
                    established.connect(frontend, 3000);
                    established.setSoTimeout(5000);
                    assertThat(roundTrip(established, "before")).isEqualTo("before");

                    vipd.destroy(); // SIGTERM

                    await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> !connects(frontend));
                    assertThat(vipd.isAlive())
                            .as("draining while a connection is open")
                            .isTrue();
                    assertThat(roundTrip(established, "during drain")).isEqualTo("during drain");
                }
                assertThat(vipd.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS))
                        .as("exits once drained")
                        .isTrue();
                assertThat(vipd.exitValue())
                        .as(Files.readString(dir.resolve("vipd.log")))
                        .isZero();
            } finally {
                vipd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void sighupReloadsTheFileAndABrokenFileLeavesTheLastGoodOneServing() throws Exception {
        String front = "127.0.79.20";
        InetSocketAddress frontend = new InetSocketAddress(front, freeTcpPort(front));
        int metricsPort = freeTcpPort("127.0.0.1");
        try (DemoBackends backends = new DemoBackends();
                ServerSocket squatter = new ServerSocket()) {
            String first = key("127.0.79.21");
            String second = key("127.0.79.22");
            backends.startHttp(Addresses.parseIpPort(first));
            backends.startHttp(Addresses.parseIpPort(second));
            squatter.bind(new InetSocketAddress(front, 0));
            InetSocketAddress other = new InetSocketAddress(front, squatter.getLocalPort());
            Path file = dir.resolve("edge.yaml");
            String web = "services:\n  - name: web\n    listen: [\"" + Addresses.key(frontend) + "\"]\n    backends: [";
            Files.writeString(file, web + first + "]\n");
            Process vipd = startEdge(
                    file, frontend, "--metrics-bind-address", "127.0.0.1:" + metricsPort, "--healthz-bind-address", "");
            try {
                assertThat(DemoClient.httpGet(frontend)).isEqualTo(first);

                // The file watch reads this first and is refused, the squatter holding "other"; the content does
                // not change again, so only a SIGHUP applies it once the address is free.
                replace(
                        file,
                        web + second + "]\n  - name: other\n    listen: [\"" + Addresses.key(other) + "\"]\n"
                                + "    backends: [" + first + "]\n");
                await().atMost(WAIT).until(() -> reloads(metricsPort, "failure") == 1);
                assertThat(DemoClient.httpGet(frontend)).isEqualTo(first);
                squatter.close();

                hangup(vipd);

                await().atMost(WAIT).until(() -> reloads(metricsPort, "success") == 2);
                assertThat(DemoClient.httpGet(frontend)).isEqualTo(second);
                assertThat(connects(other)).isTrue();

                replace(file, "services: [\n");
                await().atMost(WAIT).until(() -> reloads(metricsPort, "failure") == 2);
                hangup(vipd);

                await().atMost(WAIT)
                        .until(() ->
                                occurrences(log(), "reloading on SIGHUP") == 2 && reloads(metricsPort, "failure") == 3);
                assertThat(vipd.isAlive()).isTrue();
                assertThat(DemoClient.httpGet(frontend)).isEqualTo(second);
                assertThat(reloads(metricsPort, "success")).isEqualTo(2);
            } finally {
                vipd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aForwardingFlagOutOfRangeExitsWith2NamingIt() throws Exception {
        Path file = dir.resolve("edge.yaml");
        Files.writeString(file, "services: []\n");

        String[] result = run(
                new EdgeCommand(),
                "--config",
                file.toString(),
                "--connect-attempts",
                "0",
                "--metrics-bind-address",
                "",
                "--healthz-bind-address",
                "");

        assertThat(result[0]).isEqualTo("2");
        assertThat(result[2]).isEqualTo("vipd edge: --connect-attempts 0: must be at least 1\n");
    }

    @Test
    void anUnknownTransportExitsWith2NamingTheFlag() throws Exception {
        Path file = dir.resolve("edge.yaml");
        Files.writeString(file, "services: []\n");

        String[] edge = run(
                new EdgeCommand(),
                "--config",
                file.toString(),
                "--transport",
                "bogus",
                "--metrics-bind-address",
                "",
                "--healthz-bind-address",
                "");
        String[] demo = run(
                new DemoCommand(),
                "--transport",
                "bogus",
                "--metrics-bind-address",
                "",
                "--healthz-bind-address",
                "",
                "--self-test");

        assertThat(edge[0]).isEqualTo("2");
        assertThat(edge[2])
                .isEqualTo("vipd edge: --transport bogus: want auto, epoll, io_uring or nio, got \"bogus\"\n");
        assertThat(demo[0]).isEqualTo("2");
        assertThat(demo[2])
                .isEqualTo("vipd demo: --transport bogus: want auto, epoll, io_uring or nio, got \"bogus\"\n");
    }

    @Test
    void anExplicitTransportThisMachineCannotRunExitsWith2WithTheCause() throws Exception {
        Path file = dir.resolve("edge.yaml");
        Files.writeString(file, "services: []\n");
        // Netty's switch that turns every native transport off: io_uring is then unavailable, with a cause.
        Process p = new ProcessBuilder(
                        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                        "-cp",
                        System.getProperty("java.class.path"),
                        "-Dio.netty.transport.noNative=true",
                        Main.class.getName(),
                        "edge",
                        "--config",
                        file.toString(),
                        "--transport",
                        "io_uring",
                        "--metrics-bind-address",
                        "",
                        "--healthz-bind-address",
                        "")
                .redirectErrorStream(true)
                .start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exits").isTrue();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(p.exitValue()).as(output).isEqualTo(2);
        assertThat(output)
                .contains("vipd edge: --transport io_uring: not available on this machine: ")
                .contains("noNative");
    }

    @Test
    void helpListsTheTransportsAndWhatAutoPicks() {
        String[] help = run(new EdgeCommand(), "--help");

        assertThat(help[1]).contains("--transport=NAME").contains("socket implementation: epoll, io_uring, nio or");
    }

    @Test
    void tcpIdleTimeoutFlagClosesAnIdleConnection() throws Exception {
        String front = "127.0.79.5";
        int port = freeTcpPort(front);
        try (TcpBackend echo = TcpBackend.echo("127.0.79.6")) {
            Path file = dir.resolve("edge.yaml");
            Files.writeString(
                    file,
                    "services:\n  - name: echo\n    listen: [\"" + front + ":" + port + "\"]\n"
                            + "    backends: [\"127.0.79.6:" + echo.address().getPort() + "\"]\n");
            InetSocketAddress frontend = new InetSocketAddress(front, port);
            Process vipd = startEdge(
                    file,
                    frontend,
                    "--metrics-bind-address",
                    "",
                    "--healthz-bind-address",
                    "",
                    "--tcp-idle-timeout",
                    "700ms");
            try {
                try (Socket idle = new Socket()) {
                    idle.connect(frontend, 3000);
                    idle.setSoTimeout(10_000);
                    assertThat(roundTrip(idle, "hello")).isEqualTo("hello");
                    long start = System.nanoTime();

                    assertThatThrownBy(() -> idle.getInputStream().read())
                            .as("reset by vipd after idling")
                            .isInstanceOf(java.net.SocketException.class)
                            .hasMessageContaining("reset");
                    assertThat(Duration.ofNanos(System.nanoTime() - start))
                            .isGreaterThanOrEqualTo(Duration.ofMillis(500));
                }
            } finally {
                vipd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Starts {@code vipd edge --config file flags...} as a process and waits until the frontend accepts. */
    private Process startEdge(Path file, InetSocketAddress frontend, String... flags) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                javaBin(),
                "-cp",
                System.getProperty("java.class.path"),
                "-Xmx128m",
                Main.class.getName(),
                "edge",
                "--config",
                file.toString()));
        command.addAll(List.of(flags));
        Process vipd = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("vipd.log").toFile())
                .start();
        try {
            await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> connects(frontend));
        } catch (RuntimeException | Error e) {
            vipd.destroyForcibly();
            throw e;
        }
        return vipd;
    }

    /** Replaces the file the way editors do (write aside, rename over), so the file watch never reads half a file. */
    private void replace(Path file, String yaml) throws IOException {
        Path tmp = dir.resolve(".edge.yaml.tmp");
        Files.writeString(tmp, yaml);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void hangup(Process process) throws IOException, InterruptedException {
        // The shell's built-in kill: /bin/kill comes with procps, which a fresh Debian machine may lack.
        Process kill = new ProcessBuilder("sh", "-c", "kill -HUP \"$0\"", Long.toString(process.pid()))
                .inheritIO()
                .start();
        assertThat(kill.waitFor()).isZero();
    }

    private String log() throws IOException {
        return Files.readString(dir.resolve("vipd.log"));
    }

    private static int occurrences(String text, String part) {
        return text.split(Pattern.quote(part), -1).length - 1;
    }

    /** {@code vipd_config_reloads_total{result}} as the process's /metrics reports it. */
    private static double reloads(int metricsPort, String result) throws IOException, InterruptedException {
        HttpResponse<String> metrics = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        Matcher m = Pattern.compile("(?m)^vipd_config_reloads_total\\{result=\"" + result + "\"} (\\S+)$")
                .matcher(metrics.body());
        assertThat(m.find()).as(metrics.body()).isTrue();
        return Double.parseDouble(m.group(1));
    }

    private static String[] run(Object command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(command)
                .setOut(new PrintWriter(out))
                .setErr(new PrintWriter(err))
                .execute(args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    private static String key(String ip) throws IOException {
        return ip + ":" + freeTcpPort(ip);
    }

    private static int freeTcpPort(String ip) throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(ip, 0));
            return s.getLocalPort();
        }
    }

    private static int freeUdpPort(String ip) throws IOException {
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(new InetSocketAddress(ip, 0))) {
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

    private static String javaBin() {
        return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    }

    private static String roundTrip(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write((text + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        InputStream in = s.getInputStream();
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            sb.append((char) c);
        }
        return sb.toString();
    }
}
