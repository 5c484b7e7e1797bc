package io.vipd.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.vipd.admin.BuildInfo;
import io.vipd.admin.Json;
import io.vipd.cli.demo.DemoBackends;
import io.vipd.cli.demo.DemoClient;
import io.vipd.lb.Addresses;
import io.vipd.proxy.ProxyConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vipd edge} in-process on loopback: reloads, refused reloads and the admin endpoints. */
class EdgeRuntimeTest {
    private static final String FRONT = "127.0.77.1";
    private static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    private Path file;
    private final DemoBackends backends = new DemoBackends();
    private final List<String> backendKeys = new ArrayList<>();
    private EdgeRuntime runtime;
    private int webPort;
    private int otherPort;

    @BeforeEach
    void setUp() throws Exception {
        file = dir.resolve("edge.yaml");
        for (String ip : List.of("127.0.77.2", "127.0.77.3", "127.0.77.4")) {
            InetSocketAddress a = new InetSocketAddress(ip, freePort(ip));
            backends.startHttp(a);
            backendKeys.add(Addresses.key(a));
        }
        webPort = freePort(FRONT);
        otherPort = freePort(FRONT);
    }

    @AfterEach
    void tearDown() {
        if (runtime != null) {
            runtime.close();
        }
        backends.close();
    }

    private void start(String yaml) throws Exception {
        write(yaml);
        runtime = EdgeRuntime.start(EdgeRuntime.Options.defaults(file)
                .withAdmin(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0))
                .withPollInterval(Duration.ofMillis(200))
                .withProxyConfig(ProxyConfig.defaults().withEventLoops(1)));
    }

    /** Replaces the file the way editors do (write aside, rename over), so the watcher never reads half a file. */
    private void write(String yaml) throws IOException {
        Path tmp = dir.resolve(".edge.yaml.tmp");
        Files.writeString(tmp, yaml);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private String web(String... backendKeys) {
        return "services:\n  - name: web\n    listen: [\"" + FRONT + ":" + webPort + "\"]\n    backends: ["
                + String.join(", ", backendKeys) + "]\n";
    }

    private double reloads(String result) {
        return runtime.registry()
                .get("vipd.config.reloads")
                .tag("result", result)
                .counter()
                .count();
    }

    @Test
    void reloadsUnderLoadFailNoConnection() throws Exception {
        start(web(backendKeys.get(0)));
        InetSocketAddress frontend = new InetSocketAddress(FRONT, webPort);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger ok = new AtomicInteger();
        List<String> failures = new ArrayList<>();
        Set<String> answeredBy = ConcurrentHashMap.newKeySet();
        Thread client = new Thread(() -> {
            // Bounded: at most 5,000 requests, and the test stops it once the reloads are done.
            for (int i = 0; i < 5000 && !stop.get(); i++) {
                try {
                    answeredBy.add(DemoClient.httpGet(frontend));
                    ok.incrementAndGet();
                } catch (IOException e) {
                    synchronized (failures) {
                        failures.add(e.toString());
                    }
                }
            }
        });
        client.start();
        List<String> steps = List.of(
                web(backendKeys.get(0), backendKeys.get(1)),
                web(backendKeys.get(0), backendKeys.get(1), "{address: \"" + backendKeys.get(2) + "\", weight: 3}"),
                web(backendKeys.get(1), backendKeys.get(2)) + "    algorithm: round-robin\n",
                web(backendKeys.get(2)) + "  - name: other\n    listen: [\"" + FRONT + ":" + otherPort
                        + "\"]\n    backends: [" + backendKeys.get(0) + "]\n",
                web(backendKeys.get(0), backendKeys.get(1), backendKeys.get(2)));
        double before = reloads("success");
        for (int i = 0; i < steps.size(); i++) {
            int served = ok.get();
            write(steps.get(i));
            double expected = before + i + 1;
            await().atMost(WAIT).until(() -> reloads("success") >= expected);
            // Let traffic run on each configuration for a while before the next change.
            await().atMost(WAIT).until(() -> ok.get() >= served + 20 || !client.isAlive());
        }
        stop.set(true);
        client.join(WAIT.toMillis());

        assertThat(failures).isEmpty();
        assertThat(ok.get()).isGreaterThan(100);
        assertThat(answeredBy).containsExactlyInAnyOrderElementsOf(backendKeys);
        assertThat(reloads("failure")).isZero();
        assertThat(runtime.table().size()).isEqualTo(1);
    }

    @Test
    void anInvalidFileIsReportedWithItsLineAndKeptOut() throws Exception {
        start(web(backendKeys.get(0)));
        InetSocketAddress frontend = new InetSocketAddress(FRONT, webPort);

        write(web(backendKeys.get(1)) + "    listen: [\"" + FRONT + ":1\"]\n");
        await().atMost(WAIT).until(() -> reloads("failure") == 1);
        assertThat(runtime.lastError()).isEqualTo(file + ":5: services[0].listen: duplicate field");
        assertThat(DemoClient.httpGet(frontend)).isEqualTo(backendKeys.get(0));

        write("services:\n  - name: web\n    listen: [\"" + FRONT + ":" + webPort + "\", \"" + FRONT + "\"]\n");
        await().atMost(WAIT).until(() -> reloads("failure") == 2);
        assertThat(runtime.lastError())
                .isEqualTo(file + ":3: services[0].listen[1]: not an ip:port: \"" + FRONT + "\"");
        assertThat(DemoClient.httpGet(frontend)).isEqualTo(backendKeys.get(0));

        Map<String, Object> services = get("/services");
        assertThat(Json.write(services)).contains("\"lastError\":\"" + file + ":3: services[0].listen[1]");

        write(web(backendKeys.get(1)));
        await().atMost(WAIT).until(() -> runtime.lastError() == null);
        assertThat(DemoClient.httpGet(frontend)).isEqualTo(backendKeys.get(1));
    }

    @Test
    void aPortInUseRefusesTheReloadAndKeepsEveryServiceAsItWas() throws Exception {
        start(web(backendKeys.get(0)));
        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress(FRONT, 0));
            write(web(backendKeys.get(1)) + "  - name: other\n    listen: [\"" + FRONT + ":" + squatter.getLocalPort()
                    + "\"]\n    backends: [" + backendKeys.get(0) + "]\n");

            await().atMost(WAIT).until(() -> reloads("failure") == 1);
            assertThat(runtime.lastError())
                    .startsWith(file + ":6: services[1].listen[0]: " + FRONT + ":" + squatter.getLocalPort() + "/TCP: ")
                    .containsIgnoringCase("in use");
            assertThat(DemoClient.httpGet(new InetSocketAddress(FRONT, webPort)))
                    .isEqualTo(backendKeys.get(0));
            assertThat(runtime.table().size()).isEqualTo(1);
        }
    }

    @Test
    void aReloadAskedForWhileShuttingDownChangesNothing() throws Exception {
        start(web(backendKeys.get(0)));
        runtime.shutdown(Duration.ZERO).get();
        Files.writeString(
                file,
                web(backendKeys.get(1)) + "  - name: other\n    listen: [\"" + FRONT + ":" + otherPort
                        + "\"]\n    backends: [" + backendKeys.get(0) + "]\n");

        runtime.reload(); // as a SIGHUP arriving during the drain would

        assertThat(runtime.table().size()).isEqualTo(1);
        assertThat(reloads("success") + reloads("failure")).isEqualTo(1);
        assertThatThrownBy(() -> new Socket().connect(new InetSocketAddress(FRONT, otherPort), 3000))
                .isInstanceOf(IOException.class);
    }

    @Test
    void removingAServiceClosesItsListenerButKeepsItsEstablishedConnections() throws Exception {
        try (EchoBackend echo = new EchoBackend("127.0.77.5")) {
            start(web(backendKeys.get(0)) + "  - name: other\n    listen: [\"" + FRONT + ":" + otherPort
                    + "\"]\n    backends: [\"" + Addresses.key(echo.address()) + "\"]\n");
            try (Socket established = new Socket()) {
                established.connect(new InetSocketAddress(FRONT, otherPort), 3000);
                established.setSoTimeout(3000);
                assertThat(roundTrip(established, "before")).isEqualTo("before");

                write(web(backendKeys.get(0)));
                await().atMost(WAIT).until(() -> runtime.table().size() == 1);

                assertThatThrownBy(() -> new Socket().connect(new InetSocketAddress(FRONT, otherPort), 3000))
                        .isInstanceOf(IOException.class);
                assertThat(roundTrip(established, "after")).isEqualTo("after");
            }
        }
    }

    /** Service web (ClusterIP FRONT:webPort) and one EndpointSlice per backend, as Kubernetes manifests. */
    private String manifests(String... backends) {
        StringBuilder sb = new StringBuilder("apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
                + "spec:\n  clusterIP: " + FRONT + "\n  ports: [{name: http, port: " + webPort + ", protocol: TCP}]\n");
        for (int i = 0; i < backends.length; i++) {
            String[] ipPort = backends[i].split(":");
            sb.append("---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: web-")
                    .append(i)
                    .append("\n  namespace: shop\n  labels: {kubernetes.io/service-name: web}\naddressType: IPv4\n")
                    .append("ports: [{name: http, port: ")
                    .append(ipPort[1])
                    .append(", protocol: TCP}]\n")
                    .append("endpoints: [{addresses: [")
                    .append(ipPort[0])
                    .append("]}]\n");
        }
        return sb.toString();
    }

    @Test
    void manifestsReloadAndABadOneIsReportedByDocumentAndObjectAndKeptOut() throws Exception {
        start(manifests(backendKeys.get(0)));
        InetSocketAddress frontend = new InetSocketAddress(FRONT, webPort);
        assertThat(DemoClient.httpGet(frontend)).isEqualTo(backendKeys.get(0));

        write(manifests(backendKeys.get(1)) + "---\napiVersion: v1\nkind: Service\nmetadata: {name: broken}\n"
                + "spec: {ports: 7}\n");
        await().atMost(WAIT).until(() -> reloads("failure") == 1);
        assertThat(runtime.lastError()).startsWith(file + ":18: document 3 (Service broken): ");
        assertThat(DemoClient.httpGet(frontend)).isEqualTo(backendKeys.get(0));

        write(manifests(backendKeys.get(1), backendKeys.get(2)));
        await().atMost(WAIT).until(() -> runtime.lastError() == null);
        Set<String> answeredBy = ConcurrentHashMap.newKeySet();
        await().atMost(WAIT).until(() -> {
            answeredBy.add(DemoClient.httpGet(frontend));
            return answeredBy.size() == 2;
        });
        assertThat(answeredBy).containsExactlyInAnyOrder(backendKeys.get(1), backendKeys.get(2));
        assertThat(runtime.table().size()).isEqualTo(1);
    }

    @Test
    void servesServicesMetricsHealthAndAStatusPage() throws Exception {
        start(web(backendKeys.get(0), backendKeys.get(1)));
        DemoClient.httpGet(new InetSocketAddress(FRONT, webPort));

        Map<String, Object> doc = get("/services");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> services = (List<Map<String, Object>>) doc.get("services");
        assertThat(services).hasSize(1);
        assertThat(services.get(0)).containsEntry("name", "default/web/TCP").containsEntry("algorithm", "maglev");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rows =
                (List<Map<String, Object>>) services.get(0).get("backends");
        assertThat(rows).extracting(r -> r.get("address")).containsExactlyElementsOf(backendKeys.subList(0, 2));
        assertThat(rows.stream()
                        .mapToInt(r -> ((Number) r.get("totalConnections")).intValue())
                        .sum())
                .isEqualTo(1);

        String metrics = getText(runtime.metricsAddress(), "/metrics").body();
        assertThat(metrics)
                .contains("vipd_config_reloads_total{result=\"success\"} 1.0")
                .contains("kubeproxy_proxy_healthz_total")
                .contains("vipd_netty_allocator_used_direct_bytes")
                .contains("vipd_connections_total")
                .contains("vipd_build_info{revision=\"" + BuildInfo.current().revision() + "\",version=\""
                        + BuildInfo.current().version() + "\"} 1");
        assertThat(getText(runtime.healthzAddress(), "/healthz").statusCode()).isEqualTo(200);
        assertThat(getText(runtime.healthzAddress(), "/livez").statusCode()).isEqualTo(200);
        assertThat(getText(runtime.healthzAddress(), "/metrics").statusCode()).isEqualTo(404);
        assertThat(getText(runtime.metricsAddress(), "/").body())
                .contains("default/web/TCP")
                .contains(backendKeys.get(1));
    }

    private Map<String, Object> get(String path) throws Exception {
        return Json.read(getText(runtime.metricsAddress(), path).body());
    }

    private static HttpResponse<String> getText(InetSocketAddress at, String path) throws Exception {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .build()
                .send(
                        HttpRequest.newBuilder(URI.create("http://" + Addresses.key(at) + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
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

    static int freePort(String ip) throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(ip, 0));
            return s.getLocalPort();
        }
    }

    /** Echoes bytes back on every connection until EOF. */
    static final class EchoBackend implements AutoCloseable {
        private final ServerSocket server = new ServerSocket();
        private final List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();

        EchoBackend(String ip) throws IOException {
            server.bind(new InetSocketAddress(ip, 0));
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        sockets.add(s);
                        Thread w = new Thread(() -> {
                            try (s) {
                                s.getInputStream().transferTo(s.getOutputStream());
                            } catch (IOException e) {
                                // the client went away
                            }
                        });
                        w.setDaemon(true);
                        w.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) server.getLocalSocketAddress();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
