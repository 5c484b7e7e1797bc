package io.vipd.nodeport;

import static org.assertj.core.api.Assertions.assertThat;

import io.vipd.lb.NamespacedName;
import org.junit.jupiter.api.Test;

class ServiceHealthTest {
    @Test
    void bodyIsKubeProxysBytes() {
        ServiceHealth h = new ServiceHealth(NamespacedName.of("ns", "svc"), 2, true);
        assertThat(h.body())
                .isEqualTo("{\n\t\"service\": {\n\t\t\"namespace\": \"ns\",\n\t\t\"name\": \"svc\"\n\t},\n"
                        + "\t\"localEndpoints\": 2,\n\t\"serviceProxyHealthy\": true\n}");
        assertThat(h.status()).isEqualTo(200);
    }

    @Test
    void unavailableWithoutLocalEndpointsOrWhenUnhealthy() {
        assertThat(new ServiceHealth(NamespacedName.of("ns", "svc"), 0, true).status())
                .isEqualTo(503);
        assertThat(new ServiceHealth(NamespacedName.of("ns", "svc"), 3, false).status())
                .isEqualTo(503);
    }

    @Test
    void escapesQuotes() {
        assertThat(new ServiceHealth(NamespacedName.of("n\"s", "s\\v"), 0, true).body())
                .contains("\"n\\\"s\"")
                .contains("\"s\\\\v\"");
    }
}
