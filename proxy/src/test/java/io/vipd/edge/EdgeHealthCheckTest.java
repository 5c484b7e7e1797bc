package io.vipd.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vipd.admin.ServicesTableFormat;
import io.vipd.proxy.ProxyConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Active health checks of a running {@code vipd edge} on loopback: http and tcp, down and up again. */
class EdgeHealthCheckTest {
    private static final String FRONT = "127.0.78.1";
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final List<AutoCloseable> closeLast = new ArrayList<>();
    private EdgeRuntime runtime;
    private int frontPort;

    @AfterEach
    void tearDown() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
        for (AutoCloseable c : closeLast) {
            c.close();
        }
    }

    @Test
    void anHttpCheckTakesOutABackendAnswering500AfterFallFailuresAndBringsItBackAfterRisePasses() throws Exception {
        ControllableHttpBackend a = backend("a", "127.0.78.2");
        ControllableHttpBackend b = backend("b", "127.0.78.3");
        long intervalMillis = 500;
        int fall = 3;
        int rise = 2;
        start(
                a,
                b,
                "      type: http\n      path: /healthz\n      interval: " + intervalMillis + "ms\n"
                        + "      timeout: 200ms\n      rise: " + rise + "\n      fall: " + fall + "\n");
        await().atMost(WAIT).until(() -> "http 200".equals(check(b).get("lastResult")));
        assertThat(state(b)).isEqualTo("ready");

        double failedBefore = checks("fail");
        long t0 = System.nanoTime();
        b.healthStatus.set(500);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> "unhealthy".equals(state(b)));
        long downAfterMillis = (System.nanoTime() - t0) / 1_000_000;

        // Down after exactly `fall` failures, not fewer: the counter moved by fall (or one more if a check just
        // ran), and within interval x fall plus the interval the first failed check may wait for.
        assertThat(checks("fail") - failedBefore).isBetween((double) fall, fall + 1.0);
        assertThat(downAfterMillis).isLessThanOrEqualTo(intervalMillis * (fall + 1) + 300);
        assertThat(check(b)).containsEntry("up", false).containsEntry("lastResult", "http 500");
        assertThat(ServicesTableFormat.format(runtime.servicesModel())).contains("unhealthy", "http 500 at ");
        assertThat(runtime.registry()
                        .get("vipd.backend.health.up")
                        .tag("backend", b.key())
                        .gauge()
                        .value())
                .isZero();
        // A down backend takes no new connections.
        Set<String> served = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            served.add(get("/"));
        }
        assertThat(served).containsExactly("a");

        double passedBefore = checks("pass");
        b.healthStatus.set(200);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> "ready".equals(state(b)));
        // Back only after `rise` passes of its own (a's checks pass meanwhile too, so count b's at least).
        assertThat(checks("pass") - passedBefore).isGreaterThanOrEqualTo(rise);
        await().atMost(WAIT).until(() -> {
            Set<String> now = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                now.add(get("/"));
            }
            return now.contains("b");
        });
    }

    @Test
    void anHttpCheckMarksDownABackendThatAcceptsAndNeverAnswers() throws Exception {
        ControllableHttpBackend a = backend("a", "127.0.78.2");
        ServerSocket silent = new ServerSocket();
        silent.bind(new InetSocketAddress("127.0.78.4", 0));
        List<Socket> held = new ArrayList<>();
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    held.add(silent.accept());
                }
            } catch (IOException closed) {
                // the test is over
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        closeLast.add(() -> {
            silent.close();
            for (Socket s : held) {
                s.close();
            }
        });
        String silentKey = "127.0.78.4:" + silent.getLocalPort();
        frontPort = EdgeRuntimeTest.freePort(FRONT);
        write("services:\n  - name: web\n    listen: [\"" + FRONT + ":" + frontPort + "\"]\n    backends: [" + a.key()
                + ", " + silentKey + "]\n    healthCheck:\n      type: http\n      interval: 200ms\n"
                + "      timeout: 100ms\n      fall: 2\n");
        startRuntime();

        await().atMost(WAIT).until(() -> "unhealthy".equals(stateOf(silentKey)));
        assertThat(String.valueOf(checkOf(silentKey).get("lastResult"))).startsWith("timeout");
        assertThat(stateOf(a.key())).isEqualTo("ready");
        for (int i = 0; i < 10; i++) {
            assertThat(get("/")).isEqualTo("a");
        }
    }

    @Test
    void aTcpCheckOnItsOwnPortTakesABackendOutAndLeavesItsEstablishedConnectionsAlone() throws Exception {
        ControllableHttpBackend a = backend("a", "127.0.78.2");
        ControllableHttpBackend b = backend("b", "127.0.78.3");
        // The check's port: a listener of each backend's; the test closes b's, while b's service port stays up.
        ServerSocket checkPort = new ServerSocket();
        checkPort.bind(new InetSocketAddress("127.0.78.3", 0));
        closeLast.add(checkPort);
        ServerSocket aCheckPort = new ServerSocket();
        aCheckPort.bind(new InetSocketAddress("127.0.78.2", checkPort.getLocalPort()));
        closeLast.add(aCheckPort);
        frontPort = EdgeRuntimeTest.freePort(FRONT);
        write("services:\n  - name: web\n    listen: [\"" + FRONT + ":" + frontPort + "\"]\n    backends: [" + a.key()
                + ", " + b.key() + "]\n    algorithm: round-robin\n    healthCheck:\n      type: tcp\n"
                + "      port: " + checkPort.getLocalPort() + "\n      interval: 200ms\n      timeout: 100ms\n"
                + "      fall: 2\n      rise: 1\n");
        startRuntime();
        await().atMost(WAIT)
                .until(() -> "tcp connect ok".equals(checkOf(b.key()).get("lastResult")));

        // A kept-alive connection that reached b before it went down.
        Socket kept = null;
        for (int i = 0; i < 10 && kept == null; i++) {
            Socket s = new Socket(FRONT, frontPort);
            if (request(s, "/", true).equals("b")) {
                kept = s;
            } else {
                s.close();
            }
        }
        assertThat(kept).as("a connection reached b").isNotNull();
        closeLast.add(kept);

        checkPort.close();
        await().atMost(WAIT).until(() -> "unhealthy".equals(stateOf(b.key())));
        assertThat(checkOf(b.key())).containsEntry("lastResult", "connect failed: connection refused");
        assertThat(stateOf(a.key())).isEqualTo("ready");
        for (int i = 0; i < 10; i++) {
            assertThat(get("/")).isEqualTo("a");
        }
        assertThat(request(kept, "/", true))
                .as("the established connection goes on")
                .isEqualTo("b");
    }

    @Test
    void everyBackendDownRefusesNewConnectionsAsHaproxyWithEveryServerDown() throws Exception {
        ControllableHttpBackend a = backend("a", "127.0.78.2");
        ControllableHttpBackend b = backend("b", "127.0.78.3");
        a.healthStatus.set(503);
        b.healthStatus.set(503);
        start(
                a,
                b,
                "      type: http\n      path: /healthz\n      interval: 100ms\n      timeout: 80ms\n"
                        + "      fall: 1\n");
        await().atMost(WAIT).until(() -> "unhealthy".equals(state(a)) && "unhealthy".equals(state(b)));

        try (Socket s = new Socket(FRONT, frontPort)) {
            s.setSoTimeout(5000);
            String answer;
            try {
                answer = request(s, "/", false);
            } catch (IOException reset) {
                answer = "";
            }
            assertThat(answer).as("no backend answers").isEmpty();
        }
        a.healthStatus.set(200);
        await().atMost(WAIT).until(() -> "ready".equals(state(a)));
        assertThat(get("/")).isEqualTo("a");
    }

    private ControllableHttpBackend backend(String name, String ip) throws IOException {
        ControllableHttpBackend b = new ControllableHttpBackend(name, ip);
        closeLast.add(b);
        return b;
    }

    private void start(ControllableHttpBackend a, ControllableHttpBackend b, String checkFields) throws Exception {
        frontPort = EdgeRuntimeTest.freePort(FRONT);
        write("services:\n  - name: web\n    listen: [\"" + FRONT + ":" + frontPort + "\"]\n    backends: [" + a.key()
                + ", " + b.key() + "]\n    healthCheck:\n" + checkFields);
        startRuntime();
    }

    private void write(String yaml) throws IOException {
        Files.writeString(dir.resolve("edge.yaml"), yaml);
    }

    private void startRuntime() throws Exception {
        runtime = EdgeRuntime.start(EdgeRuntime.Options.defaults(dir.resolve("edge.yaml"))
                .withAdmin(new InetSocketAddress("127.0.0.1", 0), null)
                .withProxyConfig(proxyConfig()));
    }

    /** The engine settings; a subclass reruns the suite with others (e.g. on io_uring). */
    protected ProxyConfig proxyConfig() {
        return ProxyConfig.defaults().withEventLoops(1);
    }

    private double checks(String result) {
        return runtime.registry()
                .get("vipd.health.checks")
                .tag("result", result)
                .counter()
                .count();
    }

    private String state(ControllableHttpBackend b) {
        return stateOf(b.key());
    }

    private Map<String, Object> check(ControllableHttpBackend b) {
        return checkOf(b.key());
    }

    private String stateOf(String key) {
        return String.valueOf(backendRow(key).get("state"));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> checkOf(String key) {
        Object c = backendRow(key).get("healthCheck");
        return c == null ? Map.of() : (Map<String, Object>) c;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> backendRow(String key) {
        List<Map<String, Object>> services =
                (List<Map<String, Object>>) runtime.servicesModel().get("services");
        for (Map<String, Object> b : (List<Map<String, Object>>) services.get(0).get("backends")) {
            if (key.equals(b.get("address"))) {
                return b;
            }
        }
        throw new AssertionError("no backend " + key);
    }

    /** One HTTP/1.0 request on a connection of its own; the body (the backend's name). */
    private String get(String path) throws IOException {
        try (Socket s = new Socket(FRONT, frontPort)) {
            s.setSoTimeout(5000);
            return request(s, path, false);
        }
    }

    /** A request on {@code s}: kept alive (HTTP/1.1, reads exactly the body) or not (HTTP/1.0, reads to EOF). */
    static String request(Socket s, String path, boolean keepAlive) throws IOException {
        s.setSoTimeout(5000);
        OutputStream out = s.getOutputStream();
        out.write(("GET " + path + (keepAlive ? " HTTP/1.1\r\nHost: x\r\n\r\n" : " HTTP/1.0\r\n\r\n"))
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                return "";
            }
            head.append((char) c);
        }
        int length = -1;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        byte[] body = length >= 0 ? in.readNBytes(length) : in.readAllBytes();
        return new String(body, StandardCharsets.UTF_8);
    }
}
