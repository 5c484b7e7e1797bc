package io.vipd.watcher;

import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * client-go's REST client metrics for fabric8's HTTP client, under kube-proxy's names and labels so the
 * "Kubernetes / Proxy" dashboard reads them: {@code rest_client_requests_total{code,method,host}} (code
 * {@code <error>} for an attempt that got no response; fabric8 reports those to interceptors only when it retries
 * them, so the last attempt of a request that gives up is not counted) and {@code rest_client_request_duration_seconds{verb,host}} with
 * client-go's buckets, timed from the request to its response headers (a watch: to the upgrade or the first
 * bytes). A fabric8 interceptor: fabric8 hands the interceptor copies of a request, not the same object,
 * before and after, so a request's start time is matched by method and URI (oldest first), which is what a
 * retried or concurrent identical request needs. Thread-safe.
 */
public final class RestClientMetrics implements Interceptor {
    /** client-go's requestLatency buckets (k8s.io/component-base/metrics/prometheus/restclient). */
    private static final double[] BUCKETS_SECONDS = {0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60};
    /** Starts older than this were never answered (e.g. cancelled) and are dropped. */
    private static final long STALE_NANOS = TimeUnit.MINUTES.toNanos(10);

    private static final int SWEEP_ABOVE = 256;

    private final MeterRegistry registry;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, Queue<Long>> starts = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> results = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Timer> latencies = new ConcurrentHashMap<>();

    RestClientMetrics(MeterRegistry registry, LongSupplier nanoTime) {
        this.registry = registry;
        this.nanoTime = nanoTime;
    }

    /** Adds the interceptor to a fabric8 HTTP client builder: {@code withHttpClientBuilderConsumer(...)}. */
    public static Consumer<HttpClient.Builder> installer(MeterRegistry registry) {
        return installer(new RestClientMetrics(registry, System::nanoTime));
    }

    static Consumer<HttpClient.Builder> installer(RestClientMetrics metrics) {
        return builder -> builder.addOrReplaceInterceptor("vipd-rest-client-metrics", metrics);
    }

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        if (starts.size() > SWEEP_ABOVE) {
            sweep();
        }
        starts.computeIfAbsent(key(request), k -> new ConcurrentLinkedQueue<>()).add(nanoTime.getAsLong());
    }

    @Override
    public void after(HttpRequest request, HttpResponse<?> response, AsyncBody.Consumer<List<ByteBuffer>> consumer) {
        finished(request, Integer.toString(response.code()));
    }

    @Override
    public void afterConnectionFailure(HttpRequest request, Throwable failure) {
        finished(request, "<error>");
    }

    private void finished(HttpRequest request, String code) {
        String method = request.method();
        String host = host(request.uri());
        results.computeIfAbsent(
                        code + ' ' + method + ' ' + host,
                        k -> Counter.builder("rest_client_requests_total")
                                .description("Number of HTTP requests, partitioned by status code, method, and host.")
                                .tags("code", code, "method", method, "host", host)
                                .register(registry))
                .increment();
        Long start = takeStart(key(request));
        if (start != null) {
            latencies
                    .computeIfAbsent(
                            method + ' ' + host,
                            k -> Timer.builder("rest_client_request_duration_seconds")
                                    .description("Request latency in seconds. Broken down by verb, and host.")
                                    .tags("verb", method, "host", host)
                                    .serviceLevelObjectives(buckets())
                                    .register(registry))
                    .record(nanoTime.getAsLong() - start, TimeUnit.NANOSECONDS);
        }
    }

    private Long takeStart(String key) {
        Queue<Long> q = starts.get(key);
        if (q == null) {
            return null;
        }
        Long start = q.poll();
        if (q.isEmpty()) {
            starts.remove(key, q);
        }
        return start;
    }

    /** Drops starts that never got an answer, so abandoned requests cannot grow the map. */
    private void sweep() {
        long now = nanoTime.getAsLong();
        starts.values().forEach(q -> q.removeIf(start -> now - start > STALE_NANOS));
        starts.values().removeIf(Queue::isEmpty);
    }

    /** Requests started and not yet answered (tests). */
    int pending() {
        return starts.values().stream().mapToInt(Queue::size).sum();
    }

    private static String key(HttpRequest request) {
        return request.method() + ' ' + request.uri();
    }

    /** client-go's {@code url.Host}: host, and port when the URL has one. */
    static String host(URI uri) {
        String host = uri.getHost() == null ? "" : uri.getHost();
        if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
            host = '[' + host + ']';
        }
        return uri.getPort() < 0 ? host : host + ':' + uri.getPort();
    }

    private static Duration[] buckets() {
        Duration[] d = new Duration[BUCKETS_SECONDS.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = Duration.ofNanos(Math.round(BUCKETS_SECONDS[i] * 1e9));
        }
        return d;
    }
}
