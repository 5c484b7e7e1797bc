package io.vipd.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vipd.lb.Algorithm;
import io.vipd.lb.Backend;
import io.vipd.lb.Frontend;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.ProxyProtocol;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EdgeConfigLoaderTest {
    private final EdgeConfigLoader loader = EdgeConfigLoader.withDefaultFormats();

    @Test
    void theExampleFileParsesWithEveryDocumentedField() throws Exception {
        EdgeConfig config = loader.load(Path.of("../examples/edge.yaml"));

        assertThat(config.entries())
                .extracting(e -> e.name().toString())
                .containsExactly("default/web/TCP", "default/web-sticky/TCP", "default/echo/UDP");
        ServicePortEntry web = config.entries().get(0);
        assertThat(web.frontends()).extracting(f -> f.frontend().toString()).containsExactly("127.0.0.1:8080/TCP");
        assertThat(web.frontends()).extracting(f -> f.type()).containsOnly(FrontendType.LOAD_BALANCER);
        assertThat(web.algorithm()).isEqualTo(Algorithm.MAGLEV);
        assertThat(web.endpoints().backends())
                .extracting(Backend::key, Backend::weight)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("127.0.0.2:9000", 1),
                        org.assertj.core.groups.Tuple.tuple("127.0.0.3:9000", 1),
                        org.assertj.core.groups.Tuple.tuple("127.0.0.4:9000", 2));
        assertThat(web.clientIpAffinity()).isFalse();
        ServicePortEntry sticky = config.entries().get(1);
        assertThat(sticky.affinityTimeoutSeconds()).isEqualTo(10800);
        assertThat(config.entries().get(2).name().protocol()).isEqualTo(Protocol.UDP);
        assertThat(config.location(
                        new Frontend(new InetSocketAddress("127.0.0.1", 8081).getAddress(), 8081, Protocol.TCP)))
                .isEqualTo(new ConfigLocation(15, "services[1].listen[0]"));
    }

    /** A reload builds over the entries in force: services whose backends stayed keep their routes and tables. */
    @Test
    void aReloadReusesTheRoutesOfServicesWhoseBackendsDidNotChange() throws Exception {
        String before = """
                services:
                  - name: same
                    listen: [127.0.0.1:7001]
                    backends: [127.0.0.2:80, 127.0.0.3:80]
                  - name: moved
                    listen: [127.0.0.1:7002]
                    backends: [127.0.0.2:81, 127.0.0.3:81]
                """;
        Map<ServicePortName, ServicePortEntry> inForce = new HashMap<>();
        for (ServicePortEntry e : loader.parse("f.yaml", before).entries()) {
            inForce.put(e.name(), e);
        }
        EdgeConfig after = loader.parse("f.yaml", before.replace("127.0.0.3:81", "127.0.0.4:81"), inForce::get);

        ServicePortEntry same = after.entries().get(0);
        ServicePortEntry moved = after.entries().get(1);
        assertThat(same.externalRoute()).isSameAs(inForce.get(same.name()).externalRoute());
        assertThat(moved.externalRoute()).isNotSameAs(inForce.get(moved.name()).externalRoute());
        assertThat(moved.endpoints().backends())
                .extracting(Backend::key)
                .containsExactly("127.0.0.2:81", "127.0.0.4:81");
        // Without the entries in force every route is new.
        assertThat(loader.parse("f.yaml", before).entries().get(0).externalRoute())
                .isNotSameAs(inForce.get(same.name()).externalRoute());
    }

    @Test
    void defaultsApplyWhenFieldsAreLeftOut() throws Exception {
        EdgeConfig config = loader.parse("f.yaml", """
                services:
                  - name: a
                    listen: ["[::1]:7000", 127.0.0.1:7000]
                    algorithm: least-connections
                    proxyProtocol: v2
                    sessionAffinity: ClientIP
                """);
        ServicePortEntry a = config.entries().get(0);
        assertThat(a.name().protocol()).isEqualTo(Protocol.TCP);
        assertThat(a.frontends())
                .extracting(f -> f.frontend().toString())
                .containsExactly("[::1]:7000/TCP", "127.0.0.1:7000/TCP");
        assertThat(a.endpoints().isEmpty()).isTrue();
        assertThat(a.hasAnyEndpoints()).isFalse();
        assertThat(a.algorithm()).isEqualTo(Algorithm.LEAST_CONNECTIONS);
        assertThat(a.proxyProtocol()).isEqualTo(ProxyProtocol.V2);
        assertThat(a.affinityTimeoutSeconds()).isEqualTo(10800);
    }

    @Test
    void anEmptyFileOrEmptyListMeansNoServices() throws Exception {
        assertThat(loader.parse("f.yaml", "").entries()).isEmpty();
        assertThat(loader.parse("f.yaml", "services: []\n").entries()).isEmpty();
        assertThat(loader.parse("f.yaml", "# nothing yet\nservices:\n").entries())
                .isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown top-level field    | services: []\\nbogus: 1                                                                  | f.yaml:2: bogus: unknown field
            unknown service field      | services:\\n  - name: a\\n    listen: [127.0.0.1:1]\\n    lisen: [127.0.0.1:2]         | f.yaml:4: services[0].lisen: unknown field
            listen without port        | services:\\n  - name: a\\n    listen: [127.0.0.1:1, \"127.0.0.1\"]                      | f.yaml:3: services[0].listen[1]: not an ip:port: \"127.0.0.1\"
            bad backend address        | services:\\n  - name: a\\n    listen: [127.0.0.1:1]\\n    backends:\\n      - 10.0.0.300:80 | f.yaml:5: services[0].backends[0]: not an ip:port: \"10.0.0.300:80\"
            duplicate listen           | services:\\n  - name: a\\n    listen: [127.0.0.1:1]\\n  - name: b\\n    listen: [127.0.0.1:1] | f.yaml:5: services[1].listen[0]: 127.0.0.1:1/TCP is already used by services[0].listen[0] (line 3)
            duplicate name             | services:\\n  - name: a\\n    listen: [127.0.0.1:1]\\n  - name: a\\n    listen: [127.0.0.1:2] | f.yaml:4: services[1].name: duplicate service name \"a\" (first at line 2)
            missing listen             | services:\\n  - name: a\\n    backends: []                                              | f.yaml:2: services[0].listen: needs at least one ip:port to listen on
            bad weight                 | services:\\n  - name: a\\n    listen: [127.0.0.1:1]\\n    backends:\\n      - {address: 127.0.0.2:1, weight: -1} | f.yaml:5: services[0].backends[0].weight: -1 is outside 0..10000
            bad algorithm              | services:\\n  - name: a\\n    listen: [127.0.0.1:1]\\n    algorithm: fastest           | f.yaml:4: services[0].algorithm: unknown algorithm \"fastest\"
            bad affinity               | services:\\n  - name: a\\n    listen: [127.0.0.1:1]\\n    sessionAffinity: Cookie      | f.yaml:4: services[0].sessionAffinity: \"Cookie\" is not None or ClientIP
            affinity timeout range     | services:\\n  - name: a\\n    listen: [127.0.0.1:1]\\n    sessionAffinityTimeoutSeconds: 90000 | f.yaml:4: services[0].sessionAffinityTimeoutSeconds: 90000 is outside 1..86400
            sctp                       | services:\\n  - name: a\\n    protocol: SCTP\\n    listen: [127.0.0.1:1]              | f.yaml:3: services[0].protocol: SCTP is not supported
            proxy protocol on UDP      | services:\\n  - name: a\\n    protocol: UDP\\n    listen: [127.0.0.1:1]\\n    proxyProtocol: v1 | f.yaml:5: services[0].proxyProtocol: the PROXY protocol is for TCP services only
            yaml syntax                | services:\\n  - name: a\\n    listen: [127.0.0.1:1\\n  - name: b                        | f.yaml:4: YAML error
            duplicate key              | services:\\n  - name: a\\n    name: b\\n    listen: [127.0.0.1:1]                     | f.yaml:3: services[0].name: duplicate field
            services not a list        | services: web                                                                           | f.yaml:1: services: want a list, got \"web\"
            two compact documents      | services: []\\n---\\nservices: []                                                         | f.yaml:3: want one YAML document, found 2
            """)
    void invalidFilesNameTheFileLineAndReason(String what, String text, String expected) {
        assertThatThrownBy(() -> loader.parse("f.yaml", text.replace("\\n", "\n")))
                .isInstanceOf(EdgeConfigException.class)
                .hasMessageStartingWith(expected);
    }

    @Test
    void kubernetesManifestsAreReadWithKubeProxySemantics(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("manifests.yaml");
        Files.writeString(file, """
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: shop}
                spec:
                  clusterIP: 127.0.80.1
                  ports: [{name: http, port: 8080, protocol: TCP}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: web-1
                  namespace: shop
                  labels: {kubernetes.io/service-name: web}
                addressType: IPv4
                ports: [{name: http, port: 9000, protocol: TCP}]
                endpoints:
                  - addresses: [127.0.80.2]
                  - addresses: [127.0.80.3]
                    conditions: {ready: false}
                """);

        EdgeConfig config = loader.load(file);

        assertThat(config.entries()).hasSize(1);
        ServicePortEntry web = config.entries().get(0);
        assertThat(web.name()).hasToString("shop/web:http/TCP");
        assertThat(config.frontends()).extracting(Frontend::toString).containsExactly("127.0.80.1:8080/TCP");
        assertThat(web.internalRoute().backends().keys()).containsExactly("127.0.80.2:9000");
    }

    @Test
    void aBadManifestIsReportedAtItsDocumentsLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("manifests.yaml");
        Files.writeString(
                file,
                "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {clusterIP: 127.0.80.1}\n"
                        + "---\n# the second document\napiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec: {ports: 7}\n");

        assertThatThrownBy(() -> loader.load(file))
                .isInstanceOf(EdgeConfigException.class)
                .hasMessageStartingWith(file + ":7: document 2 (Service b): ");
    }

    @Test
    void anSctpPortInManifestsIsRefusedNamingServiceAndPort(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("manifests.yaml");
        Files.writeString(
                file,
                "apiVersion: v1\nkind: Service\nmetadata: {name: signalling, namespace: telco}\n"
                        + "spec:\n  clusterIP: 127.0.80.1\n  ports:\n"
                        + "  - {name: http, port: 8080, protocol: TCP}\n"
                        + "  - {name: s1ap, port: 36412, protocol: SCTP}\n");

        assertThatThrownBy(() -> loader.load(file))
                .isInstanceOf(EdgeConfigException.class)
                .hasMessageStartingWith(file.toString())
                .hasMessageContaining("Service telco/signalling port 36412/SCTP")
                .hasMessageContaining("TCP and UDP only");
    }

    @Test
    void aMissingFileIsReportedByName() {
        assertThatThrownBy(() -> loader.load(Path.of("target/no-such-edge.yaml")))
                .hasMessage("target/no-such-edge.yaml: no such file");
    }

    @Test
    void aSecondFormatPlugsInBeforeTheCompactOne() throws Exception {
        EdgeConfigFormat manifests = new EdgeConfigFormat() {
            @Override
            public boolean recognizes(List<org.snakeyaml.engine.v2.nodes.Node> documents) {
                return KubernetesManifestFormat.looksLikeManifests(documents);
            }

            @Override
            public EdgeConfig parse(
                    String file,
                    String text,
                    List<org.snakeyaml.engine.v2.nodes.Node> documents,
                    java.util.function.Function<ServicePortName, ServicePortEntry> previous) {
                return new EntryConfig(file, List.of(), java.util.Map.of());
            }
        };
        EdgeConfigLoader both = new EdgeConfigLoader(List.of(manifests, new CompactConfigFormat()));

        assertThat(both.parse("f.yaml", "apiVersion: v1\nkind: Service\n").entries())
                .isEmpty();
        assertThat(both.parse("f.yaml", "services:\n  - name: a\n    listen: [127.0.0.1:1]\n")
                        .entries())
                .hasSize(1);
    }
}
