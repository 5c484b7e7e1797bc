package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vipd.admin.AdminResponse;
import io.vipd.admin.AdminServer;
import io.vipd.admin.Json;
import io.vipd.admin.ServicesStatus;
import io.vipd.lb.Addresses;
import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.Frontend;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.proxy.ProxyStats;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ServicesCommandTest {
    private static final ServicePortName WEB = ServicePortName.of("default", "web", "", Protocol.TCP);
    private static final ServicePortName GONE = ServicePortName.of("default", "gone", "", Protocol.TCP);
    private static final ServicePortName IDLE_GONE = ServicePortName.of("default", "idle", "", Protocol.TCP);
    private static final ServicePortName EMPTY = ServicePortName.of("default", "empty", "", Protocol.UDP);

    private final AdminServer server = new AdminServer();
    private final ServiceTable table = new ServiceTable();
    private InetSocketAddress address;

    @BeforeEach
    void serve() throws Exception {
        table.apply(
                List.of(
                        ServicePortEntry.builder(WEB)
                                .frontends(List.of(new ServiceFrontend(
                                        Frontend.of(new InetSocketAddress("127.0.0.1", 8080), Protocol.TCP),
                                        FrontendType.LOAD_BALANCER)))
                                .backends(BackendSet.of(
                                        Backend.parse("127.0.0.2:9000"),
                                        Backend.parseWeighted("127.0.0.3:9000=2"),
                                        Backend.parseWeighted("127.0.0.4:9000=0")))
                                .affinityTimeoutSeconds(600)
                                .build(),
                        ServicePortEntry.builder(EMPTY)
                                .frontends(List.of(new ServiceFrontend(
                                        Frontend.of(new InetSocketAddress("127.0.0.1", 8053), Protocol.UDP),
                                        FrontendType.LOAD_BALANCER)))
                                .build()),
                List.of());
        ProxyStats stats = new ProxyStats(
                3,
                0,
                List.of(
                        new ProxyStats.ServiceStats(
                                WEB,
                                3,
                                0,
                                List.of(
                                        new ProxyStats.BackendStats("127.0.0.2:9000", 1, 10, 0, false),
                                        new ProxyStats.BackendStats("127.0.0.3:9000", 0, 4, 7, true),
                                        new ProxyStats.BackendStats("127.0.0.9:9000", 2, 2, 0, false))),
                        new ProxyStats.ServiceStats(
                                GONE,
                                1,
                                0,
                                List.of(
                                        new ProxyStats.BackendStats("127.0.0.7:80", 1, 5, 0, false),
                                        new ProxyStats.BackendStats("127.0.0.8:80", 0, 5, 0, false))),
                        new ProxyStats.ServiceStats(IDLE_GONE, 0, 0, List.of())));
        ServicesStatus status = new ServicesStatus(table, () -> stats);
        address = server.bind(
                new InetSocketAddress("127.0.0.1", 0),
                Map.of("/services", q -> AdminResponse.json(200, Json.write(status.model()))));
    }

    @AfterEach
    void close() {
        server.close();
    }

    @Test
    void printsAReadableTableOfEveryFrontendAndBackend() {
        String[] result = run("--metrics-bind-address", Addresses.key(address));

        assertThat(result[0]).isEqualTo("0");
        assertThat(result[1].lines().toList())
                .containsExactly(
                        "SERVICE            FRONTENDS           ALGORITHM  AFFINITY       ACTIVE  BACKEND         WEIGHT  STATE"
                                + "    ACTIVE  TOTAL  FAILED",
                        "default/empty/UDP  127.0.0.1:8053/UDP  maglev     None           0       (none: reject)",
                        "default/web/TCP    127.0.0.1:8080/TCP  maglev     ClientIP/600s  3       127.0.0.2:9000  1       ready"
                                + "    1       10     0",
                        "                                                                         127.0.0.3:9000  2       ejected"
                                + "  0       4      7",
                        "                                                                         127.0.0.4:9000  0       drained"
                                + "  0       0      0",
                        "                                                                         127.0.0.9:9000  0       removed"
                                + "  2       2      0",
                        "default/gone/TCP                       (removed)                 1       127.0.0.7:80    0       removed"
                                + "  1       5      0",
                        "3 services, 3 active connections, 0 UDP flows");
    }

    @Test
    void printsTheJsonDocumentWithDashOJson() {
        String[] result = run("--metrics-bind-address", Addresses.key(address), "-o", "json");

        assertThat(result[0]).isEqualTo("0");
        Map<String, Object> doc = Json.read(result[1]);
        assertThat(doc).containsEntry("activeConnections", 3);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> services = (List<Map<String, Object>>) doc.get("services");
        assertThat(services)
                .extracting(s -> s.get("name"))
                .containsExactly("default/empty/UDP", "default/web/TCP", "default/gone/TCP");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> backends =
                (List<Map<String, Object>>) services.get(1).get("backends");
        assertThat(backends.get(1))
                .containsEntry("address", "127.0.0.3:9000")
                .containsEntry("weight", 2)
                .containsEntry("state", "ejected")
                .containsEntry("connectFailures", 7);
        assertThat(services.get(1)).containsEntry("sessionAffinity", "ClientIP").containsEntry("action", "forward");
    }

    @Test
    void saysWhatToCheckWhenNothingIsListening() throws Exception {
        server.close();
        String[] result = run("--metrics-bind-address", Addresses.key(address));

        assertThat(result[0]).isEqualTo("1");
        assertThat(result[2]).contains("cannot reach vipd at http://" + Addresses.key(address) + "/services");
    }

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new ServicesCommand())
                .setOut(new PrintWriter(out))
                .setErr(new PrintWriter(err))
                .execute(args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }
}
