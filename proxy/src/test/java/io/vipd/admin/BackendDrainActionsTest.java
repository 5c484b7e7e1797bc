package io.vipd.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.proxy.ProxyConfig;
import io.vipd.proxy.ProxyServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The drain actions as {@code vipd node} names its service ports: "ns/name:port/PROTO", with or without parts. */
class BackendDrainActionsTest {
    private static final ServicePortName HTTP = ServicePortName.of("shop", "web", "http", Protocol.TCP);
    private static final ServicePortName DNS = ServicePortName.of("shop", "web", "dns", Protocol.UDP);
    private static final String POD = "10.244.1.7:8080";

    private final ServiceTable table = new ServiceTable();
    private final ProxyServer proxy = new ProxyServer(table, ProxyConfig.defaults(), new SimpleMeterRegistry());
    private final Map<String, AdminAction> actions = new BackendDrainActions(table, proxy.drains()).actions();

    @BeforeEach
    void start() {
        // Started, so that it follows the table's changes as a running vipd does.
        proxy.start();
    }

    @AfterEach
    void close() {
        proxy.close();
    }

    @Test
    void aPodBackendIsDrainedByItsServicePortNameWithOrWithoutTheProtocol() {
        table.apply(List.of(entry(HTTP, POD, "10.244.2.9:8080"), entry(DNS, "10.244.1.7:53")), List.of());

        AdminResponse drained = act(BackendDrainActions.DRAIN, "shop/web:http", POD);

        assertThat(drained.status()).isEqualTo(200);
        assertThat(Json.read(drained.body()))
                .containsEntry("services", List.of("shop/web:http/TCP"))
                .containsEntry("changed", List.of("shop/web:http/TCP"));
        assertThat(proxy.drains().drained()).isEqualTo(Map.of(HTTP, java.util.Set.of(POD)));
        assertThat(backend(HTTP, POD)).containsEntry("state", "drained").containsEntry("weight", 0);
        assertThat(backend(HTTP, "10.244.2.9:8080")).containsEntry("state", "ready");

        // The Service's name alone covers the ports that list the backend; the UDP port does not.
        assertThat(act(BackendDrainActions.UNDRAIN, "shop/web", POD).status()).isEqualTo(200);
        assertThat(proxy.drains().drained()).isEmpty();
        assertThat(act(BackendDrainActions.DRAIN, "shop/web:http/TCP", POD).status())
                .isEqualTo(200);
        assertThat(proxy.drains().isDrained(HTTP, POD)).isTrue();
    }

    @Test
    void theWatchersUpdatesKeepTheDrainWhileTheEndpointStaysAndForgetItWhenItLeaves() {
        table.apply(List.of(entry(HTTP, POD, "10.244.2.9:8080")), List.of());
        act(BackendDrainActions.DRAIN, "shop/web:http", POD);

        table.apply(List.of(entry(HTTP, POD, "10.244.2.9:8080", "10.244.3.3:8080")), List.of());
        assertThat(proxy.drains().isDrained(HTTP, POD)).isTrue();

        table.apply(List.of(entry(HTTP, "10.244.2.9:8080")), List.of());
        assertThat(proxy.drains().isDrained(HTTP, POD)).isFalse();
    }

    @Test
    void badRequestsAreAnsweredWithWhatIsWrong() {
        table.apply(List.of(entry(HTTP, POD)), List.of());

        assertThat(actions.get(BackendDrainActions.DRAIN).handle(Map.of()).status())
                .isEqualTo(400);
        assertThat(act(BackendDrainActions.DRAIN, "shop/web", "10.244.1.7").body())
                .contains("is not an ip:port");
        assertThat(act(BackendDrainActions.DRAIN, "shop/nope", POD).body()).contains("no service shop/nope");
        assertThat(act(BackendDrainActions.DRAIN, "shop/web", "10.244.9.9:80").body())
                .contains("has no backend 10.244.9.9:80");
    }

    private AdminResponse act(String path, String service, String backend) {
        return actions.get(path).handle(Map.of("service", List.of(service), "backend", List.of(backend)));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> backend(ServicePortName port, String key) {
        for (Object s :
                (List<Object>) new ServicesStatus(table, proxy::stats).model().get("services")) {
            Map<String, Object> service = (Map<String, Object>) s;
            if (service.get("name").equals(port.toString())) {
                for (Object b : (List<Object>) service.get("backends")) {
                    if (((Map<String, Object>) b).get("address").equals(key)) {
                        return (Map<String, Object>) b;
                    }
                }
            }
        }
        throw new AssertionError("no backend " + key);
    }

    private static ServicePortEntry entry(ServicePortName name, String... backends) {
        return ServicePortEntry.builder(name)
                .backends(BackendSet.of(
                        java.util.Arrays.stream(backends).map(Backend::parse).toList()))
                .build();
    }
}
