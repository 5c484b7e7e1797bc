package io.vipd.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vipd.lb.EdgeOptions;
import io.vipd.lb.ServicePortEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The compact format's maxConnections, maxConnectionsPerBackend, acceptProxyProtocol and sni fields. */
class EdgeConnectionOptionsTest {
    private final EdgeConfigLoader loader = EdgeConfigLoader.withDefaultFormats();

    @Test
    void theFieldsParseAndServicesNamingServerNamesShareAnAddress() throws Exception {
        EdgeConfig config = loader.parse("f.yaml", """
                services:
                  - name: www
                    listen: [127.0.0.1:8443]
                    backends: [127.0.0.2:443]
                    maxConnections: 10000
                    maxConnectionsPerBackend: 500
                    acceptProxyProtocol: true
                    sni: [www.example.com, "*.Example.org"]
                  - name: api
                    listen: [127.0.0.1:8443]
                    backends: [127.0.0.3:443]
                    acceptProxyProtocol: true
                    sni: [api.example.com]
                  - name: rest
                    listen: [127.0.0.1:8443]
                    backends: [127.0.0.4:443]
                    acceptProxyProtocol: true
                  - name: plain
                    listen: [127.0.0.1:8080]
                    backends: [127.0.0.5:80]
                """);

        ServicePortEntry www = config.entries().get(0);
        assertThat(www.edge())
                .isEqualTo(new EdgeOptions(10000, 500, true, List.of("www.example.com", "*.example.org")));
        assertThat(config.entries().get(1).edge().serverNames()).containsExactly("api.example.com");
        assertThat(config.entries().get(2).edge().serverNames()).isEmpty();
        assertThat(config.entries().get(3).edge()).isSameAs(EdgeOptions.NONE);
        // One listener for the shared address.
        assertThat(config.frontends())
                .extracting(Object::toString)
                .containsExactly("127.0.0.1:8443/TCP", "127.0.0.1:8080/TCP");
        // A changed limit is a changed service: a reload installs it.
        ServicePortEntry lower = www.toBuilder()
                .edge(new EdgeOptions(10, 500, true, www.edge().serverNames()))
                .build();
        assertThat(EntrySpec.of(lower)).isNotEqualTo(EntrySpec.of(www));
    }

    @Test
    void aCheckAcceptsAnAddressSharedBySni(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("edge.yaml");
        Files.writeString(file, """
                services:
                  - name: a
                    listen: [127.0.0.1:8443]
                    sni: [a.test]
                  - name: b
                    listen: [127.0.0.1:8443]
                    sni: [b.test]
                """);

        assertThat(EdgeConfigCheck.check(file, Map.of())).isEqualTo(new EdgeConfigCheck.Summary(2, 1));
    }

    @Test
    void manifestsCarryTheSettingsAsServiceAnnotations() throws Exception {
        EdgeConfig config = loader.parse("m.yaml", """
                apiVersion: v1
                kind: Service
                metadata:
                  name: web
                  namespace: shop
                  annotations:
                    vipd.io/max-connections: "100"
                    vipd.io/max-connections-per-backend: "10"
                    vipd.io/accept-proxy-protocol: "true"
                    vipd.io/sni: "www.example.com, *.Example.org"
                spec:
                  clusterIP: 127.0.80.1
                  ports: [{name: https, port: 8443, protocol: TCP}]
                ---
                apiVersion: v1
                kind: Service
                metadata:
                  name: bad
                  namespace: shop
                  annotations: {vipd.io/max-connections: "lots"}
                spec:
                  clusterIP: 127.0.80.2
                  ports: [{name: https, port: 8443, protocol: TCP}]
                """);

        assertThat(config.entries())
                .extracting(e -> e.name().toString(), ServicePortEntry::edge)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("shop/bad:https/TCP", EdgeOptions.NONE),
                        org.assertj.core.groups.Tuple.tuple(
                                "shop/web:https/TCP",
                                new EdgeOptions(100, 10, true, List.of("www.example.com", "*.example.org"))));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            two services without sni | services:\\n  - name: a\\n    listen: [127.0.0.1:80]\\n  - name: b\\n    listen: [127.0.0.1:80]\\n | f.yaml:5: services[1].listen[0]: 127.0.0.1:80/TCP is already used by services[0].listen[0] (line 3); services may share a listen address when each names its TLS server names (sni), all but at most one
            one name in two services | services:\\n  - name: a\\n    listen: [127.0.0.1:80]\\n    sni: [x.test]\\n  - name: b\\n    listen: [127.0.0.1:80]\\n    sni: [X.test]\\n | f.yaml:6: services[1].listen[0]: server name "x.test" on 127.0.0.1:80/TCP is named by both a and b
            acceptProxyProtocol differs | services:\\n  - name: a\\n    listen: [127.0.0.1:80]\\n    sni: [x.test]\\n    acceptProxyProtocol: true\\n  - name: b\\n    listen: [127.0.0.1:80]\\n    sni: [y.test]\\n | f.yaml:7: services[1].listen[0]: 127.0.0.1:80/TCP is shared by a, b, which must agree on acceptProxyProtocol
            udp shares | services:\\n  - name: a\\n    protocol: UDP\\n    listen: [127.0.0.1:53]\\n  - name: b\\n    protocol: UDP\\n    listen: [127.0.0.1:53]\\n | f.yaml:7: services[1].listen[0]: 127.0.0.1:53/UDP is already used by services[0].listen[0] (line 4); only TCP services routed by TLS server name (sni) may share one
            sni on udp | services:\\n  - name: a\\n    protocol: UDP\\n    listen: [127.0.0.1:53]\\n    sni: [x.test]\\n | f.yaml:5: services[0].sni: is for TCP services only
            bad server name | services:\\n  - name: a\\n    listen: [127.0.0.1:80]\\n    sni: ["a b"]\\n | f.yaml:4: services[0].sni[0]: "a b" is not a server name (DNS labels separated by '.', optionally starting with "*.")
            empty sni | services:\\n  - name: a\\n    listen: [127.0.0.1:80]\\n    sni: []\\n | f.yaml:4: services[0].sni: names no server (leave the field out to take every TLS connection)
            negative limit | services:\\n  - name: a\\n    listen: [127.0.0.1:80]\\n    maxConnections: -1\\n | f.yaml:4: services[0].maxConnections: -1 is outside 0..10000000
            not a boolean | services:\\n  - name: a\\n    listen: [127.0.0.1:80]\\n    acceptProxyProtocol: yes\\n | f.yaml:4: services[0].acceptProxyProtocol: want true or false, got "yes"
            same service twice | services:\\n  - name: a\\n    listen: [127.0.0.1:80, 127.0.0.1:80]\\n    sni: [x.test]\\n | f.yaml:3: services[0].listen[1]: 127.0.0.1:80/TCP is already used by services[0].listen[0] (line 3)
            """)
    void invalidSettingsNameTheFileLineAndReason(String what, String text, String expected) {
        assertThatThrownBy(() -> loader.parse("f.yaml", text.replace("\\n", "\n")))
                .isInstanceOf(EdgeConfigException.class)
                .hasMessage(expected);
    }
}
