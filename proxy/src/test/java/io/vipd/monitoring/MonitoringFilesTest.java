package io.vipd.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vipd.cli.demo.DemoBackends;
import io.vipd.edge.EdgeRuntime;
import io.vipd.lb.Addresses;
import io.vipd.proxy.ProxyConfig;
import io.vipd.testing.Requires;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * deploy/monitoring: the PrometheusRule's groups pass promtool's check and unit tests, every alert has a unit test,
 * and the dashboard and the rules read only metrics a running {@code vipd edge} exports (node-only names are
 * checked against a running {@code vipd node} by NodeModeE2ETest).
 */
class MonitoringFilesTest {
    private static final String FRONT = "127.0.78.1";

    @TempDir
    Path dir;

    @Test
    @Requires(commands = "promtool")
    void rulesPassPromtoolCheckAndUnitTests() throws Exception {
        String promtool = onPath("promtool");
        Files.writeString(dir.resolve("vipd-rules.yaml"), rulesFile());
        Files.copy(MonitoringFiles.dir().resolve("tests/vipd-rules-test.yaml"), dir.resolve("vipd-rules-test.yaml"));

        assertThat(run(promtool, "check", "rules", "vipd-rules.yaml")).contains("SUCCESS");
        assertThat(run(promtool, "test", "rules", "vipd-rules-test.yaml")).contains("SUCCESS");
    }

    @Test
    void everyAlertHasLabelsAnnotationsAndAUnitTest() {
        Map<String, Object> rule = prometheusRule();
        assertThat(rule)
                .containsEntry("apiVersion", "monitoring.coreos.com/v1")
                .containsEntry("kind", "PrometheusRule");
        Set<String> alerts = new TreeSet<>();
        for (Map<String, Object> group : maps(spec(rule).get("groups"))) {
            for (Map<String, Object> r : maps(group.get("rules"))) {
                String alert = (String) r.get("alert");
                alerts.add(alert);
                assertThat(r).as(alert).containsKeys("expr", "labels", "annotations");
                assertThat(map(r.get("labels"))).as(alert).containsKey("severity");
                assertThat(map(r.get("annotations"))).as(alert).containsKeys("summary", "description");
            }
        }
        Set<String> tested = new TreeSet<>();
        Map<String, Object> tests =
                map(load(MonitoringFiles.read(MonitoringFiles.dir().resolve("tests/vipd-rules-test.yaml"))));
        for (Map<String, Object> t : maps(tests.get("tests"))) {
            for (Map<String, Object> a : maps(t.get("alert_rule_test"))) {
                tested.add((String) a.get("alertname"));
            }
        }
        assertThat(tested).isEqualTo(alerts);
        assertThat(alerts)
                .contains(
                        "VipdDown",
                        "VipdSyncFailing",
                        "VipdServiceNoReadyBackend",
                        "VipdBackendEjectedOrUnhealthy",
                        "VipdConfigReloadRefused",
                        "VipdServingRestoredSnapshot");
    }

    @Test
    void dashboardAndRulesReadOnlyMetricsVipdEdgeExports() throws Exception {
        Set<String> referenced = MonitoringFiles.referencedNames();
        assertThat(referenced)
                .as("what the dashboard and rules read")
                .contains("vipd_backend_state", "vipd_connect_duration_seconds_bucket", "jvm_memory_used_bytes")
                .containsAll(MonitoringFiles.NODE_ONLY)
                .containsAll(MonitoringFiles.EDGE_ONLY);

        String scrape = scrapeRunningEdge();
        Set<String> exported = MonitoringFiles.exportedNames(scrape);
        // Exactly the node-only names are missing: a name vipd does not export at all fails here, and so does a
        // "node-only" name edge exports after all.
        assertThat(MonitoringFiles.missing(referenced, exported, "vipd_", "process_", "jvm_"))
                .isEqualTo(MonitoringFiles.NODE_ONLY);
    }

    @Test
    void theNameCheckFindsANameVipdDoesNotExport() {
        Set<String> referenced = MonitoringFiles.names("sum(rate(vipd_connections_total[5m])) / vipd_no_such_thing");
        Set<String> exported = MonitoringFiles.exportedNames(
                "# TYPE vipd_connections_total counter\n" + "vipd_connections_total{result=\"ok\"} 1\n");
        assertThat(MonitoringFiles.missing(referenced, exported, "vipd_")).containsExactly("vipd_no_such_thing");
    }

    /** A vipd edge on loopback with one service, after one connection through it and a garbage collection. */
    private String scrapeRunningEdge() throws Exception {
        try (DemoBackends backends = new DemoBackends()) {
            List<String> keys = new ArrayList<>();
            for (String ip : List.of("127.0.78.2", "127.0.78.3")) {
                InetSocketAddress a = new InetSocketAddress(ip, freePort(ip));
                backends.startHttp(a);
                keys.add(Addresses.key(a));
            }
            int port = freePort(FRONT);
            Path config = dir.resolve("edge.yaml");
            Files.writeString(
                    config,
                    "services:\n  - name: web\n    listen: [\"" + FRONT + ":" + port + "\"]\n    backends: ["
                            + String.join(", ", keys) + "]\n");
            try (EdgeRuntime edge = EdgeRuntime.start(EdgeRuntime.Options.defaults(config)
                    .withAdmin(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0))
                    .withProxyConfig(ProxyConfig.defaults().withEventLoops(1)))) {
                try (Socket s = new Socket(FRONT, port)) {
                    s.getOutputStream()
                            .write("GET / HTTP/1.0\r\nHost: web\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    try (InputStream in = s.getInputStream()) {
                        assertThat(in.readAllBytes()).isNotEmpty();
                    }
                }
                // Micrometer registers jvm_gc_pause_seconds at the first collection it sees.
                System.gc();
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> get(edge.metricsAddress(), "/metrics").contains("jvm_gc_pause_seconds_count"));
                return get(edge.metricsAddress(), "/metrics");
            }
        }
    }

    private String rulesFile() {
        DumpSettings settings = DumpSettings.builder().build();
        return new Dump(settings).dumpToString(spec(prometheusRule()));
    }

    private static Map<String, Object> prometheusRule() {
        return map(load(MonitoringFiles.read(MonitoringFiles.prometheusRule())));
    }

    private static Map<String, Object> spec(Map<String, Object> rule) {
        return map(rule.get("spec"));
    }

    private static Object load(String yaml) {
        return new Load(LoadSettings.builder().build()).loadFromString(yaml);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> maps(Object o) {
        return (List<Map<String, Object>>) o;
    }

    private String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(String.join(" ", command) + ":\n" + out).isZero();
        return out;
    }

    private static String onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(d, program);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    private static int freePort(String ip) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(ip))) {
            return s.getLocalPort();
        }
    }

    private static String get(InetSocketAddress at, String path) throws Exception {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .build()
                .send(
                        HttpRequest.newBuilder(URI.create("http://" + Addresses.key(at) + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }
}
