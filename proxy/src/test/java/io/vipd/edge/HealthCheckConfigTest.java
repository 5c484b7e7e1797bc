package io.vipd.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vipd.lb.Protocol;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.proxy.HealthCheck;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code healthCheck:} field of the compact format and the {@code vipd.io/health-check-*} annotations. */
class HealthCheckConfigTest {
    private final EdgeConfigLoader loader = EdgeConfigLoader.withDefaultFormats();

    @Test
    void everyFieldIsReadAndTheRestDefaultsAsHaproxy() throws Exception {
        EdgeConfig config = loader.parse("f.yaml", """
                services:
                  - name: web
                    listen: [127.0.0.1:8443]
                    backends: [10.0.0.2:8443]
                    healthCheck:
                      type: http
                      path: /healthz
                      port: 9000
                      interval: 1m30s
                      timeout: 1.5s
                      rise: 4
                      fall: 5
                  - name: plain
                    listen: [127.0.0.1:8444]
                    backends: [10.0.0.2:8444]
                    healthCheck: {}
                  - name: unchecked
                    listen: [127.0.0.1:8445]
                """);

        Map<ServicePortName, HealthCheck> checks = config.healthChecks(names(config.entries()));

        assertThat(checks)
                .containsEntry(
                        ServicePortName.of("default", "web", "", Protocol.TCP),
                        new HealthCheck(
                                HealthCheck.Type.HTTP,
                                "/healthz",
                                9000,
                                Duration.ofSeconds(90),
                                Duration.ofMillis(1500),
                                4,
                                5))
                .containsEntry(
                        ServicePortName.of("default", "plain", "", Protocol.TCP),
                        new HealthCheck(
                                HealthCheck.Type.TCP, "/", 0, Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3))
                .hasSize(2);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown field       | type: tcp\\n      inter: 2s      | f.yaml:6: services[0].healthCheck.inter: unknown field
            bad type            | type: icmp                     | f.yaml:5: services[0].healthCheck.type: \"icmp\" is not tcp or http
            path on tcp         | type: tcp\\n      path: /x       | f.yaml:6: services[0].healthCheck.path: a path is for http checks only
            bad duration        | interval: 2 seconds            | f.yaml:5: services[0].healthCheck.interval: \"2 seconds\" is not a duration
            interval too short  | interval: 1ms                  | f.yaml:5: services[0].healthCheck.interval: must be between 10ms and 1h
            timeout over interval | interval: 1s\\n      timeout: 2s | f.yaml:6: services[0].healthCheck.timeout: must be between 1ms and the interval (1000ms)
            fall zero           | fall: 0                        | f.yaml:5: services[0].healthCheck.fall: 0 is outside 1..100
            port range          | port: 70000                    | f.yaml:5: services[0].healthCheck.port: 70000 is outside 1..65535
            """)
    void badFieldsNameTheFileLineAndField(String what, String fields, String expected) {
        String text = "services:\n  - name: a\n    listen: [127.0.0.1:1]\n    healthCheck:\n      "
                + fields.replace("\\n", "\n");
        assertThatThrownBy(() -> loader.parse("f.yaml", text))
                .isInstanceOf(EdgeConfigException.class)
                .hasMessageStartingWith(expected);
    }

    @Test
    void aUdpServiceMustNameTheTcpPortToCheck() throws Exception {
        assertThatThrownBy(() -> loader.parse(
                        "f.yaml",
                        "services:\n  - name: dns\n    protocol: UDP\n    listen: [127.0.0.1:53]\n"
                                + "    healthCheck: {type: tcp}\n"))
                .hasMessageStartingWith("f.yaml:5: services[0].healthCheck.port: a UDP service's backends are checked");
        EdgeConfig ok = loader.parse(
                "f.yaml",
                "services:\n  - name: dns\n    protocol: UDP\n    listen: [127.0.0.1:53]\n"
                        + "    healthCheck: {type: tcp, port: 53}\n");
        assertThat(ok.healthChecks(names(ok.entries()))).hasSize(1);
    }

    @Test
    void serviceAnnotationsCarryTheSameSettingsForEveryCheckablePort() throws Exception {
        EdgeConfig config = loader.parse("m.yaml", """
                apiVersion: v1
                kind: Service
                metadata:
                  name: web
                  namespace: shop
                  annotations:
                    vipd.io/health-check-type: http
                    vipd.io/health-check-path: /ready
                    vipd.io/health-check-interval: 5s
                    vipd.io/health-check-timeout: 2s
                    vipd.io/health-check-rise: "1"
                    vipd.io/health-check-fall: "2"
                spec:
                  clusterIP: 127.0.80.1
                  ports:
                    - {name: http, port: 80, protocol: TCP}
                    - {name: dns, port: 53, protocol: UDP}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: plain, namespace: shop}
                spec:
                  clusterIP: 127.0.80.2
                  ports: [{name: http, port: 80, protocol: TCP}]
                """);

        Map<ServicePortName, HealthCheck> checks = config.healthChecks(List.of(
                ServicePortName.of("shop", "web", "http", Protocol.TCP),
                ServicePortName.of("shop", "web", "dns", Protocol.UDP),
                ServicePortName.of("shop", "plain", "http", Protocol.TCP)));

        // The UDP port names no TCP port to check, so it is not checked.
        assertThat(checks)
                .containsOnlyKeys(ServicePortName.of("shop", "web", "http", Protocol.TCP))
                .containsValue(new HealthCheck(
                        HealthCheck.Type.HTTP, "/ready", 0, Duration.ofSeconds(5), Duration.ofSeconds(2), 1, 2));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown annotation   | vipd.io/health-check-type: tcp, vipd.io/health-check-inter: 2s | annotation vipd.io/health-check-inter: unknown annotation
            settings without type | vipd.io/health-check-fall: \"2\"                               | annotation vipd.io/health-check-fall: set vipd.io/health-check-type
            bad type             | vipd.io/health-check-type: udp                                | annotations vipd.io/health-check-*: \"udp\" is not tcp or http
            bad number           | vipd.io/health-check-type: tcp, vipd.io/health-check-rise: many | annotation vipd.io/health-check-rise: not a whole number
            timeout over interval | vipd.io/health-check-type: tcp, vipd.io/health-check-timeout: 5s | annotations vipd.io/health-check-*: timeout 5000ms must be at least 1ms and at most the interval (2000ms)
            """)
    void badAnnotationsNameTheServiceAndAnnotation(String what, String annotations, String expected) {
        String text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations: {" + annotations
                + "}\nspec:\n  clusterIP: 127.0.80.1\n  ports: [{port: 80}]\n";
        assertThatThrownBy(() -> loader.parse("m.yaml", text))
                .isInstanceOf(EdgeConfigException.class)
                .hasMessageStartingWith("m.yaml: Service default/web: " + expected);
    }

    private static List<ServicePortName> names(List<ServicePortEntry> entries) {
        return entries.stream().map(ServicePortEntry::name).toList();
    }
}
