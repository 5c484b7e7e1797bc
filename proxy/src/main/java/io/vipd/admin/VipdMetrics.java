package io.vipd.admin;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * The Prometheus registry every vipd process exposes on {@code /metrics}: JVM and process metrics (with
 * kube-proxy's {@code process_cpu_seconds_total} and {@code process_resident_memory_bytes}),
 * {@code vipd_build_info}, and Netty's buffer allocator memory ({@code vipd_netty_allocator_used_direct_bytes} and
 * {@code ..._used_heap_bytes}, per allocator) next to whatever the data plane registers.
 */
public final class VipdMetrics {
    public static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private VipdMetrics() {}

    /** A registry with the JVM, process, build and Netty allocator meters bound. Close it with the process. */
    public static PrometheusMeterRegistry newRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new KubeProxyProcessMetrics().bindTo(registry);
        BuildInfo.current().register(registry.getPrometheusRegistry());
        bindAllocator(registry, "default", ByteBufAllocator.DEFAULT);
        if (ByteBufAllocator.DEFAULT != PooledByteBufAllocator.DEFAULT) {
            bindAllocator(registry, "pooled", PooledByteBufAllocator.DEFAULT);
        }
        return registry;
    }

    private static void bindAllocator(MeterRegistry registry, String name, ByteBufAllocator allocator) {
        if (!(allocator instanceof ByteBufAllocatorMetricProvider)) {
            return;
        }
        ByteBufAllocatorMetric metric = ((ByteBufAllocatorMetricProvider) allocator).metric();
        Gauge.builder("vipd.netty.allocator.used.direct", metric, ByteBufAllocatorMetric::usedDirectMemory)
                .baseUnit("bytes")
                .tag("allocator", name)
                .description("Direct memory held by Netty's allocator")
                .register(registry);
        Gauge.builder("vipd.netty.allocator.used.heap", metric, ByteBufAllocatorMetric::usedHeapMemory)
                .baseUnit("bytes")
                .tag("allocator", name)
                .description("Heap memory held by Netty's allocator")
                .register(registry);
    }

    /** The {@code /metrics} handler. */
    public static AdminHandler scrape(PrometheusMeterRegistry registry) {
        return scrape(registry, () -> {});
    }

    /** The {@code /metrics} handler, running {@code beforeScrape} (e.g. {@link StatusMetrics#refresh}) first. */
    public static AdminHandler scrape(PrometheusMeterRegistry registry, Runnable beforeScrape) {
        return query -> {
            beforeScrape.run();
            return new AdminResponse(
                    200, PROMETHEUS_CONTENT_TYPE, KubeProxyMetricNames.restore(registry.scrape()), java.util.Map.of());
        };
    }
}
