package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.backends;
import static io.vipd.proxy.Fixtures.entry;
import static io.vipd.proxy.Fixtures.tcpFrontend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vipd.lb.Algorithm;
import io.vipd.lb.Frontend;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServicePortEntry;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The data-plane metrics as Prometheus scrapes them, and the stats for /services. */
class MetricsTest extends ProxyTestBase {

    @Test
    void countsConnectionsBytesAndConnectTimePerServiceAndBackend() throws Exception {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry = prometheus;
        TcpBackend b = backend(new TcpBackend("127.0.0.2", 0, s -> {
            s.getInputStream().readNBytes(1000);
            s.getOutputStream().write(new byte[2500]);
        }));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(ProxyConfig.defaults(), entry("m", f, backends(b.address())).build());
        String backendKey = "127.0.0.2:" + b.address().getPort();

        try (Socket s = connect(f)) {
            s.getOutputStream().write(new byte[1000]);
            assertThat(s.getInputStream().readAllBytes()).hasSize(2500);
            ProxyStats.ServiceStats during = proxy.stats().service(Fixtures.name("m", f.protocol()));
            assertThat(during.backend(backendKey).totalConnections()).isEqualTo(1);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.activeConnections() == 0);

        String text = prometheus.scrape();
        String svc = "service=\"default/m:p/TCP\"";
        assertThat(text).contains("vipd_connections_total{backend=\"" + backendKey + "\",result=\"ok\"," + svc + "} 1");
        assertThat(text).contains("vipd_bytes_total{direction=\"rx\"," + svc + "} 1000");
        assertThat(text).contains("vipd_bytes_total{direction=\"tx\"," + svc + "} 2500");
        assertThat(text).contains("vipd_connections_active{" + svc + "} 0");
        assertThat(text).contains("vipd_connect_duration_seconds_count{" + svc + "} 1");
        // Bounded buckets per service port: the 14 fixed ones and +Inf.
        assertThat(text.lines().filter(l -> l.startsWith("vipd_connect_duration_seconds_bucket{")))
                .hasSize(ServiceRuntime.CONNECT_BUCKETS.length + 1)
                .contains("vipd_connect_duration_seconds_bucket{" + svc + ",le=\"+Inf\"} 1");
        assertThat(text).contains("vipd_backend_retries_total 0");
        assertThat(text).contains("vipd_udp_flows_active 0");
        assertThat(text).contains("vipd_udp_flow_evictions_total{reason=\"idle\"} 0");

        ProxyStats stats = proxy.stats();
        assertThat(stats.activeConnections()).isZero();
        ProxyStats.BackendStats row =
                stats.service(Fixtures.name("m", f.protocol())).backend(backendKey);
        assertThat(row).isEqualTo(new ProxyStats.BackendStats(backendKey, 0, 1, 0, false));
    }

    @Test
    void aServicePortThatLeftIsForgottenOnceItsLastConnectionCloses() throws Exception {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry = prometheus;
        TcpBackend b = backend(TcpBackend.echo("127.0.0.2"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(ProxyConfig.defaults(), entry("gone", f, backends(b.address())).build());
        String svc = "service=\"default/gone:p/TCP\"";

        try (Socket s = connect(f)) {
            s.getOutputStream().write("a\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(firstLine(s)).isEqualTo("a");
            table.apply(List.of(), List.of(Fixtures.name("gone", Protocol.TCP)));

            assertThat(proxy.forgetDeparted()).as("a connection is still open").isZero();
            assertThat(prometheus.scrape()).contains("vipd_connections_active{" + svc + "} 1");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.activeConnections() == 0);

        assertThat(proxy.forgetDeparted()).isEqualTo(1);
        assertThat(prometheus.scrape()).doesNotContain(svc);
        assertThat(proxy.stats().services()).isEmpty();
    }

    @Test
    void aBackendThatLeftItsServiceIsForgottenWhileTheServiceKeepsCounting() throws Exception {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry = prometheus;
        TcpBackend first = backend(TcpBackend.echo("127.0.0.2"));
        TcpBackend second = backend(TcpBackend.echo("127.0.0.3"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry("churn", f, backends(first.address())).build());
        String firstKey = "127.0.0.2:" + first.address().getPort();
        String secondKey = "127.0.0.3:" + second.address().getPort();
        roundTripThrough(f);
        table.apply(List.of(entry("churn", f, backends(second.address())).build()), List.of());
        roundTripThrough(f);
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.activeConnections() == 0);
        assertThat(prometheus.scrape()).contains("backend=\"" + firstKey + "\"");

        assertThat(proxy.forgetDeparted()).isEqualTo(1);

        String text = prometheus.scrape();
        assertThat(text)
                .doesNotContain(firstKey)
                .contains("vipd_connections_total{backend=\"" + secondKey
                        + "\",result=\"ok\",service=\"default/churn:p/TCP\"} 1")
                .contains("vipd_bytes_total{direction=\"rx\",service=\"default/churn:p/TCP\"} 4");
        assertThat(proxy.stats().service(Fixtures.name("churn", Protocol.TCP)).backends())
                .extracting(ProxyStats.BackendStats::key)
                .containsExactly(secondKey);
    }

    @Test
    void aBackendThatLeavesWithAConnectionOpenAndComesBackIsStillEjectedWhereThePickersLook() throws Exception {
        TcpBackend other = backend(TcpBackend.identifying("127.0.0.2"));
        TcpBackend returning = backend(TcpBackend.echo("127.0.0.3"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry("back", f, backends(returning.address())).build());
        String returningKey = "127.0.0.3:" + returning.address().getPort();
        try (Socket open = connect(f)) {
            open.getOutputStream().write("a\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(firstLine(open)).isEqualTo("a");
            table.apply(List.of(entry("back", f, backends(other.address())).build()), List.of());

            assertThat(proxy.forgetDeparted()).as("its connection is open").isZero();
        }
        returning.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.activeConnections() == 0);
        table.apply(
                List.of(entry("back", f, backends(other.address(), returning.address()))
                        .build()),
                List.of());

        for (int i = 0; i < 200 && failures(returningKey) < 3; i++) {
            assertThat(whoAnswers(f, null)).isEqualTo("127.0.0.2");
        }
        assertThat(failures(returningKey)).isEqualTo(3);
        for (int i = 0; i < 20; i++) {
            assertThat(whoAnswers(f, null)).isEqualTo("127.0.0.2");
        }
        assertThat(failures(returningKey)).as("ejected: not tried again").isEqualTo(3);
    }

    @Test
    void forgettingWhileAnEntryIsBuiltKeepsLeastConnectionsCounting() throws Exception {
        TcpBackend first = backend(TcpBackend.echo("127.0.0.2"));
        TcpBackend second = backend(TcpBackend.echo("127.0.0.3"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry("lc", f, backends(first.address()))
                        .algorithm(Algorithm.LEAST_CONNECTIONS)
                        .build());
        ServicePortEntry both = entry("lc", f, backends(first.address(), second.address()))
                .algorithm(Algorithm.LEAST_CONNECTIONS)
                .build(table.get(Fixtures.name("lc", Protocol.TCP)));

        proxy.forgetDeparted();
        table.apply(List.of(both), List.of());

        List<Socket> open = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                Socket s = connect(f);
                open.add(s);
                s.getOutputStream().write("a\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(firstLine(s)).isEqualTo("a");
            }
            ProxyStats.ServiceStats stats = proxy.stats().service(Fixtures.name("lc", Protocol.TCP));
            assertThat(stats.backends())
                    .extracting(ProxyStats.BackendStats::activeConnections)
                    .as("least connections spreads held connections evenly")
                    .containsExactly(5L, 5L);
        } finally {
            for (Socket s : open) {
                s.close();
            }
        }
    }

    private long failures(String backendKey) {
        return proxy.stats()
                .service(Fixtures.name("back", Protocol.TCP))
                .backend(backendKey)
                .connectFailures();
    }

    private static void roundTripThrough(Frontend f) throws Exception {
        try (Socket s = connect(f)) {
            s.getOutputStream().write("a\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(firstLine(s)).isEqualTo("a");
        }
    }
}
