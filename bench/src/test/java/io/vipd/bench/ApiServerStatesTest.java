package io.vipd.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.watcher.FakeApiServer;
import io.vipd.watcher.FeatureGates;
import io.vipd.watcher.SyncObserver;
import io.vipd.watcher.WatcherRuntime;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The bench API server (the watcher tests' FakeApiServer moved between named states) as vipd node's own watcher sees
 * it (the real WatcherRuntime on loopback, with fabric8's default WebSocket-first watches): the first list, then state
 * changes delivered as watch events.
 */
class ApiServerStatesTest {
    private static final String SET = "3/tcp/198.19.0.1/9710/9710/198.18.2.10+198.18.2.11";

    @Test
    void watcherFollowsTheStates() throws Exception {
        List<BenchService> full = ServiceSets.parse(SET);
        List<BenchService> change = new ArrayList<>(full);
        change.set(2, full.get(2).withEndpoints(List.of(new BenchService.Endpoint("198.18.2.10", 9703))));
        Map<String, List<HasMetadata>> states = new LinkedHashMap<>();
        states.put("one", withNode(full.subList(0, 1)));
        states.put("full", withNode(full));
        states.put("change", withNode(change));
        ServiceTable table = new ServiceTable();
        try (FakeApiServer fake = FakeApiServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            ApiServerStates server = new ApiServerStates(fake, states);
            fake.addHandler(ApiServerStates.PATH, server);
            assertThat(server.enter("one")).isEqualTo(3);
            try (WatcherRuntime watcher = WatcherRuntime.create(
                    null,
                    "http://127.0.0.1:" + fake.port(),
                    "bench-node",
                    FeatureGates.defaults(),
                    table,
                    new SimpleMeterRegistry(),
                    SyncObserver.NONE)) {
                watcher.start();
                await(() -> table.size() == 1);
                assertThat(endpoints(table, "svc-00000"))
                        .containsExactlyInAnyOrder("198.18.2.10:9710", "198.18.2.11:9710");

                assertThat(server.enter("full")).isEqualTo(4);
                await(() -> table.size() == 3);

                assertThat(server.enter("change")).isEqualTo(1);
                await(() -> endpoints(table, "svc-00002").equals(List.of("198.18.2.10:9703")));
                assertThat(endpoints(table, "svc-00001")).hasSize(2);

                assertThat(server.enter("one")).isEqualTo(4);
                await(() -> table.size() == 1);
            }
        }
    }

    @Test
    void enteringTheCurrentStatePublishesNothing() throws Exception {
        Map<String, List<HasMetadata>> states = Map.of("full", withNode(ServiceSets.parse(SET)));
        try (FakeApiServer fake = FakeApiServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            ApiServerStates server = new ApiServerStates(fake, states);
            assertThat(server.enter("full")).isEqualTo(7);
            assertThat(server.enter("full")).isZero();
        }
    }

    @Test
    void benchRunEntersAStateOverHttp() throws Exception {
        Map<String, List<HasMetadata>> states = Map.of("full", withNode(ServiceSets.parse(SET)));
        try (FakeApiServer fake = FakeApiServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            fake.addHandler(ApiServerStates.PATH, new ApiServerStates(fake, states));
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> full = http.send(post(fake, "full"), HttpResponse.BodyHandlers.ofString());
            assertThat(full.statusCode()).isEqualTo(200);
            assertThat(full.body()).isEqualTo("events 7\n");
            HttpResponse<String> unknown = http.send(post(fake, "nope"), HttpResponse.BodyHandlers.ofString());
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(unknown.body()).contains("no state nope");
        }
    }

    private static HttpRequest post(FakeApiServer server, String state) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + ApiServerStates.PATH + state))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build();
    }

    private static List<HasMetadata> withNode(List<BenchService> services) {
        List<HasMetadata> objects = new ArrayList<>(KubeObjects.of(services));
        objects.add(KubeObjects.node("bench-node"));
        return objects;
    }

    private static List<String> endpoints(ServiceTable table, String service) {
        ServicePortEntry e = table.get(ServicePortName.of("bench", service, "p9710", Protocol.TCP));
        return e == null ? List.of() : e.endpoints().keys();
    }

    /** Bounded: the watcher applies changes within its minimum sync interval, far below this. */
    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 30 s").isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
