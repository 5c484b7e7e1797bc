package io.vipd.nodeport;

import static org.assertj.core.api.Assertions.assertThat;

import io.vipd.lb.Addresses;
import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.BackendState;
import io.vipd.lb.NamespacedName;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class HealthCheckServerTest {
    private static final InetAddress ADDR = Addresses.parseIp("127.0.0.1");
    private static final NamespacedName SVC = NamespacedName.of("ns", "web");
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void answersAnyPathWithStatusAndBody() throws Exception {
        AtomicBoolean healthy = new AtomicBoolean(true);
        try (HealthCheckServer server = new HealthCheckServer(List.of(ADDR), healthy::get, (s, a, e) -> {})) {
            int port = freePort();
            server.syncServices(Map.of(SVC, port));
            server.syncEndpoints(Map.of(SVC, 2));

            HttpResponse<String> ok = get(port, "/anything/at/all");
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("content-type")).contains("application/json");
            assertThat(ok.headers().firstValue("x-content-type-options")).contains("nosniff");
            assertThat(ok.body()).isEqualTo(new ServiceHealth(SVC, 2, true).body());

            server.syncEndpoints(Map.of());
            HttpResponse<String> none = get(port, "/");
            assertThat(none.statusCode()).isEqualTo(503);
            assertThat(none.body()).contains("\"localEndpoints\": 0");

            server.syncEndpoints(Map.of(SVC, 1));
            healthy.set(false);
            HttpResponse<String> sick = get(port, "/healthz");
            assertThat(sick.statusCode()).isEqualTo(503);
            assertThat(sick.body()).contains("\"serviceProxyHealthy\": false");
        }
    }

    @Test
    void movesEveryListenerWhenTheNodeAddressesChange() throws Exception {
        InetAddress other = Addresses.parseIp("127.0.0.2");
        try (HealthCheckServer server = new HealthCheckServer(List.of(ADDR), () -> true, (s, a, e) -> {})) {
            int port = freePort();
            server.syncServices(Map.of(SVC, port));
            server.setAddresses(List.of(other));
            assertThat(server.boundAddresses(SVC)).containsExactly(new InetSocketAddress(other, port));
            server.syncEndpoints(Map.of(SVC, 1));
            try (Socket s = new Socket(other, port)) {
                assertThat(s.isConnected()).isTrue();
            }
            assertThat(stopsListening(port)).isTrue();
        }
    }

    @Test
    void closesListenersOfRemovedOrMovedServices() throws Exception {
        try (HealthCheckServer server = new HealthCheckServer(List.of(ADDR), () -> true, (s, a, e) -> {})) {
            int first = freePort();
            server.syncServices(Map.of(SVC, first));
            assertThat(server.boundAddresses(SVC)).containsExactly(new InetSocketAddress(ADDR, first));
            int second = freePort();
            server.syncServices(Map.of(SVC, second));
            assertThat(server.boundAddresses(SVC)).containsExactly(new InetSocketAddress(ADDR, second));
            assertThat(stopsListening(first)).isTrue();
            server.syncServices(Map.of());
            assertThat(server.boundAddresses(SVC)).isEmpty();
            assertThat(stopsListening(second)).isTrue();
        }
    }

    @Test
    void bindFailureIsReportedAndSkipped() throws Exception {
        List<NamespacedName> failed = new ArrayList<>();
        try (ServerSocket taken = new ServerSocket(0, 1, ADDR);
                HealthCheckServer server =
                        new HealthCheckServer(List.of(ADDR), () -> true, (s, a, e) -> failed.add(s))) {
            NamespacedName other = NamespacedName.of("ns", "other");
            int free = freePort();
            server.syncServices(Map.of(SVC, taken.getLocalPort(), other, free));
            assertThat(failed).containsExactly(SVC);
            server.syncEndpoints(Map.of(other, 1));
            assertThat(get(free, "/").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void countsDistinctLocalReadyIpsOverAllPorts() {
        ServicePortEntry http = entry(
                "http",
                31000,
                backend("198.18.1.1", 80, true, BackendState.READY),
                backend("198.18.1.2", 80, true, BackendState.SERVING_TERMINATING),
                backend("198.18.1.3", 80, false, BackendState.READY));
        ServicePortEntry https = entry(
                "https",
                31000,
                backend("198.18.1.1", 443, true, BackendState.READY),
                backend("198.18.1.4", 443, true, BackendState.READY));
        ServicePortEntry noCheck = ServicePortEntry.builder(ServicePortName.of("ns", "plain", "", Protocol.TCP))
                .endpoints(BackendSet.of(backend("198.18.1.9", 80, true, BackendState.READY)))
                .build();
        assertThat(LocalEndpointCounts.localReadyEndpoints(List.of(http, https, noCheck)))
                .isEqualTo(Map.of(SVC, 2));
        assertThat(LocalEndpointCounts.healthCheckNodePorts(List.of(http, https, noCheck)))
                .isEqualTo(Map.of(SVC, 31000));
    }

    private static ServicePortEntry entry(String port, int hcPort, Backend... backends) {
        return ServicePortEntry.builder(new ServicePortName(SVC, port, Protocol.TCP))
                .healthCheckNodePort(hcPort)
                .externalPolicyLocal(true)
                .endpoints(BackendSet.of(backends))
                .build();
    }

    private static Backend backend(String ip, int port, boolean local, BackendState state) {
        return new Backend(
                Addresses.parseIp(ip), port, 1, local ? "me" : "other", "", state, local, Set.of(), Set.of());
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, ADDR)) {
            return s.getLocalPort();
        }
    }

    /**
     * Whether the port stops accepting connections within two seconds. NIO closes a selector-registered socket
     * only at the selector's next wake-up, after the close future completed, so the port may still accept for a
     * moment. (A bind probe is no better: it fails whenever another test's outgoing connection holds the port.)
     */
    private static boolean stopsListening(int port) throws InterruptedException {
        for (int i = 0; i < 40; i++) {
            if (!listening(port)) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(ADDR, port), 2_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
