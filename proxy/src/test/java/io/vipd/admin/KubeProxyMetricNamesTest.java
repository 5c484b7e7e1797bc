package io.vipd.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class KubeProxyMetricNamesTest {
    @Test
    void theNoLocalEndpointsGaugeIsScrapedUnderKubeProxysName() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AtomicLong internal = new AtomicLong(3);
        Gauge.builder("kubeproxy_sync_proxy_rules_no_local_endpoints_total", internal, AtomicLong::get)
                .tag("traffic_policy", "internal")
                .description("services with no local endpoints")
                .register(registry);
        Gauge.builder("kubeproxy_sync_proxy_rules_no_local_endpoints_other", internal, AtomicLong::get)
                .register(registry);

        String text = KubeProxyMetricNames.restore(registry.scrape());

        assertThat(text)
                .contains("# TYPE kubeproxy_sync_proxy_rules_no_local_endpoints_total gauge\n")
                .contains("# HELP kubeproxy_sync_proxy_rules_no_local_endpoints_total ")
                .contains("kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy=\"internal\"} 3.0\n")
                .doesNotContain("kubeproxy_sync_proxy_rules_no_local_endpoints{")
                // a longer name that merely starts the same way keeps its own
                .contains("kubeproxy_sync_proxy_rules_no_local_endpoints_other 3.0\n");
    }

    @Test
    void textWithoutRenamedMetricsIsReturnedAsItIs() {
        String text = "# TYPE vipd_services gauge\nvipd_services 2.0\n";
        assertThat(KubeProxyMetricNames.restore(text)).isSameAs(text);
    }
}
