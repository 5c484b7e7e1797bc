package io.vipd.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vipd.proxy.ProxyConfig;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vipd edge --check}: a file is judged as a start would judge it, listen addresses included, binding nothing. */
class EdgeConfigCheckTest {
    private static final Map<String, InetSocketAddress> NO_ADMIN = Map.of();

    @TempDir
    Path dir;

    private Path write(String yaml) throws Exception {
        Path file = dir.resolve("edge.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private static String service(String name, String protocol, String... listen) {
        return "  - name: " + name + "\n    protocol: " + protocol + "\n    listen: [\"" + String.join("\", \"", listen)
                + "\"]\n";
    }

    @Test
    void aValidFileCountsItsServicesAndFrontends() throws Exception {
        Path file = write("services:\n" + service("web", "TCP", "127.0.0.1:8080", "127.0.0.2:8080")
                + service("dns", "UDP", "127.0.0.1:8053"));

        assertThat(EdgeConfigCheck.check(file, NO_ADMIN)).isEqualTo(new EdgeConfigCheck.Summary(2, 3));
    }

    @Test
    void manifestsCountServicesNotServicePorts() throws Exception {
        Path file = write("""
                apiVersion: v1
                kind: Service
                metadata: {name: web}
                spec:
                  clusterIP: 127.0.80.1
                  ports: [{name: http, port: 80}, {name: https, port: 443}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: dns}
                spec:
                  clusterIP: 127.0.80.2
                  ports: [{port: 53, protocol: UDP}]
                """);

        assertThat(EdgeConfigCheck.check(file, NO_ADMIN)).isEqualTo(new EdgeConfigCheck.Summary(2, 3));
    }

    @Test
    void aWildcardAddressOverlappingAnotherIsRefusedNamingBoth() throws Exception {
        Path file =
                write("services:\n" + service("all", "TCP", "0.0.0.0:8080") + service("one", "TCP", "127.0.0.1:8080"));

        assertThatThrownBy(() -> EdgeConfigCheck.check(file, NO_ADMIN))
                .isInstanceOf(EdgeConfigException.class)
                .hasMessage(file + ":7: services[1].listen[0]: 127.0.0.1:8080/TCP: Address already in use "
                        + "(taken by 0.0.0.0:8080/TCP of services[0].listen[0] at line 4)");
    }

    @Test
    void theIpv6WildcardCoversIpv4TooButTheIpv4WildcardNotIpv6() throws Exception {
        Path dualStack =
                write("services:\n" + service("all", "TCP", "[::]:8080") + service("one", "TCP", "0.0.0.0:8080"));
        assertThatThrownBy(() -> EdgeConfigCheck.check(dualStack, NO_ADMIN))
                .hasMessageContaining("services[1].listen[0]: 0.0.0.0:8080/TCP: Address already in use");

        Path separate = write("services:\n" + service("v4", "TCP", "0.0.0.0:8080") + service("v6", "TCP", "[::1]:8080")
                + service("udp", "UDP", "127.0.0.1:8080"));
        assertThat(EdgeConfigCheck.check(separate, NO_ADMIN).frontends()).isEqualTo(3);
    }

    @Test
    void aFrontendOnAnAdminAddressIsRefused() throws Exception {
        Path file = write("services:\n" + service("web", "TCP", "0.0.0.0:10249"));

        assertThatThrownBy(() -> EdgeConfigCheck.check(
                        file, Map.of("the metrics listener", new InetSocketAddress("127.0.0.1", 10249))))
                .hasMessage(file + ":4: services[0].listen[0]: 0.0.0.0:10249/TCP: Address already in use "
                        + "(taken by the metrics listener 127.0.0.1:10249)");
    }

    @Test
    void aNodePortTakesItsPortOnEveryAddress() throws Exception {
        Path file = write("""
                apiVersion: v1
                kind: Service
                metadata: {name: a}
                spec:
                  type: NodePort
                  clusterIP: 127.0.80.1
                  ports: [{port: 80, nodePort: 30080}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: b}
                spec:
                  clusterIP: 127.0.80.2
                  ports: [{port: 30080}]
                """);

        assertThatThrownBy(() -> EdgeConfigCheck.check(file, NO_ADMIN))
                .hasMessage(file + ": Service default/b: 127.0.80.2:30080/TCP: Address already in use "
                        + "(taken by *:30080/TCP of Service default/a)");
    }

    @Test
    void theCheckFailsWhereAStartFailsAndSaysAtLeastAsMuch() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path file = write(
                "services:\n" + service("all", "TCP", "0.0.0.0:" + port) + service("one", "TCP", "127.0.0.1:" + port));

        assertThatThrownBy(() -> EdgeRuntime.start(EdgeRuntime.Options.defaults(file)
                                .withAdmin(null, null)
                                .withProxyConfig(ProxyConfig.defaults().withEventLoops(1)))
                        .close())
                .isInstanceOf(EdgeConfigException.class)
                .satisfies(started -> assertThatThrownBy(() -> EdgeConfigCheck.check(file, NO_ADMIN))
                        .hasMessageStartingWith(started.getMessage()));
    }

    @Test
    void aBadOrMissingFileFailsWithTheLoadersMessage() throws Exception {
        Path bad = write("services:\n  - name: web\n    listen: [\"127.0.0.1:8080\", \"127.0.0.1\"]\n");
        assertThatThrownBy(() -> EdgeConfigCheck.check(bad, NO_ADMIN))
                .hasMessage(bad + ":3: services[0].listen[1]: not an ip:port: \"127.0.0.1\"");

        assertThatThrownBy(() -> EdgeConfigCheck.check(dir.resolve("nope.yaml"), NO_ADMIN))
                .hasMessage(dir.resolve("nope.yaml") + ": no such file");
    }
}
