package io.vipd.watcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** kube-proxy's rest_client_* metrics from fabric8's HTTP client, against the fabric8 mock API server. */
@EnableKubernetesMockClient(crud = true, https = false)
class RestClientMetricsTest {
    KubernetesMockServer server;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final RestClientMetrics metrics = new RestClientMetrics(registry, System::nanoTime);

    @Test
    void countsRequestsByCodeMethodAndHostAndTimesThemByVerb() throws Exception {
        try (KubernetesClient client =
                server.createClient(b -> b.withHttpClientBuilderConsumer(RestClientMetrics.installer(metrics)))) {
            String host =
                    RestClientMetrics.host(URI.create(client.getMasterUrl().toString()));
            client.services()
                    .inNamespace("default")
                    .resource(new ServiceBuilder()
                            .withNewMetadata()
                            .withName("web")
                            .endMetadata()
                            .build())
                    .create();
            client.services().inNamespace("default").list();
            client.services().inNamespace("default").list();
            assertThat(client.services()
                            .inNamespace("default")
                            .withName("absent")
                            .get())
                    .isNull();

            assertThat(count("201", "POST", host)).isEqualTo(1);
            assertThat(count("200", "GET", host)).isEqualTo(2);
            assertThat(count("404", "GET", host)).isEqualTo(1);
            assertThat(latency("POST", host).count()).isEqualTo(1);
            assertThat(latency("GET", host).count()).isEqualTo(3);
            assertThat(metrics.pending()).isZero();

            // A watch: its request is counted once the API server answers the upgrade (or the HTTP watch).
            try (Watch w = client.services().inNamespace("default").watch(new Watcher<>() {
                @Override
                public void eventReceived(Action action, io.fabric8.kubernetes.api.model.Service resource) {}

                @Override
                public void onClose(WatcherException cause) {}
            })) {
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> latency("GET", host).count() == 4);
            }
            assertThat(metrics.pending()).isZero();
        }
    }

    @Test
    void aRequestWithNoResponseIsCountedAsErrorWhenFabric8RetriesIt() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Config config = new ConfigBuilder(Config.empty())
                .withMasterUrl("http://127.0.0.1:" + closedPort)
                .withRequestRetryBackoffLimit(2)
                .withRequestRetryBackoffInterval(10)
                .build();
        try (KubernetesClient client = new KubernetesClientBuilder()
                .withConfig(config)
                .withHttpClientBuilderConsumer(RestClientMetrics.installer(metrics))
                .build()) {
            assertThatThrownBy(() -> client.services().inNamespace("default").list());
        }
        // fabric8 tells interceptors of a connection failure only when it retries: the two retried attempts
        // count, the last one (given up) does not, and its start is swept later.
        String host = "127.0.0.1:" + closedPort;
        assertThat(count("<error>", "GET", host)).isEqualTo(2);
        assertThat(latency("GET", host).count()).isEqualTo(2);
    }

    @Test
    void hostIsClientGosUrlHost() {
        assertThat(RestClientMetrics.host(URI.create("https://10.0.0.1:6443/api")))
                .isEqualTo("10.0.0.1:6443");
        assertThat(RestClientMetrics.host(URI.create("https://api.example/api")))
                .isEqualTo("api.example");
        assertThat(RestClientMetrics.host(URI.create("https://[2001:2::1]:6443/api")))
                .isEqualTo("[2001:2::1]:6443");
    }

    private double count(String code, String method, String host) {
        var c = registry.find("rest_client_requests_total")
                .tags("code", code, "method", method, "host", host)
                .counter();
        return c == null ? 0 : c.count();
    }

    private Timer latency(String verb, String host) {
        Timer t = registry.find("rest_client_request_duration_seconds")
                .tags("verb", verb, "host", host)
                .timer();
        return t == null ? registry.timer("absent") : t;
    }
}
