package io.vipd.admin;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The {@code /services} document as metric series an operator can alert on, brought up to date just before each
 * scrape (so the connection path never touches them):
 *
 * <ul>
 *   <li>{@code vipd_backend_state{service,backend,state}} 1 for the backend's state as {@code /services} shows
 *       it; one series per backend, whatever states {@link ServicesStatus} knows, so a new state needs no change
 *       here
 *   <li>{@code vipd_backend_weight}, {@code vipd_backend_connections_active} and
 *       {@code vipd_backend_ejections_total} per {@code service,backend}
 *   <li>{@code vipd_service_backends_ready{service}}: backends in state {@code ready}; 0 for a service port
 *       with no endpoint at all (a service port that left the configuration has none)
 * </ul>
 *
 * Series are held between scrapes and removed once their service port or backend leaves the document, so
 * endpoint churn does not grow them. With {@code onlyForwarded} (node mode, where every node holds every
 * Service of the cluster) only service ports this node has forwarded get series, as with the data plane's.
 */
public final class StatusMetrics {
    /** The state that counts in {@code vipd_service_backends_ready}. */
    static final String READY = "ready";

    private final MeterRegistry registry;
    private final Supplier<Map<String, Object>> document;
    private final boolean onlyForwarded;
    private final Map<String, ServiceSeries> services = new HashMap<>();

    public StatusMetrics(MeterRegistry registry, Supplier<Map<String, Object>> document, boolean onlyForwarded) {
        this.registry = registry;
        this.document = document;
        this.onlyForwarded = onlyForwarded;
    }

    /** Brings every series up to date with the document now; removes those of departed services and backends. */
    public synchronized void refresh() {
        Set<String> present = new HashSet<>();
        for (Map<String, Object> service : maps(document.get().get("services"))) {
            if (onlyForwarded && !Boolean.TRUE.equals(service.get("forwarded"))) {
                continue;
            }
            String name = (String) service.get("name");
            present.add(name);
            services.computeIfAbsent(name, ServiceSeries::new).update(service);
        }
        for (Iterator<Map.Entry<String, ServiceSeries>> it = services.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, ServiceSeries> e = it.next();
            if (!present.contains(e.getKey())) {
                e.getValue().remove();
                it.remove();
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> maps(Object list) {
        return list == null ? List.of() : (List<Map<String, Object>>) list;
    }

    private static long number(Object value) {
        return value instanceof Number n ? n.longValue() : 0;
    }

    /** The series of one service port and of its backends. */
    private final class ServiceSeries {
        private final String name;
        private final AtomicLong ready = new AtomicLong();
        private final Map<String, BackendSeries> backends = new HashMap<>();
        private Gauge readyGauge;

        ServiceSeries(String name) {
            this.name = name;
        }

        void update(Map<String, Object> service) {
            Set<String> present = new HashSet<>();
            long readyCount = 0;
            for (Map<String, Object> backend : maps(service.get("backends"))) {
                String address = (String) backend.get("address");
                present.add(address);
                BackendSeries b = backends.computeIfAbsent(address, a -> new BackendSeries(name, a));
                b.update(backend);
                readyCount += READY.equals(b.state) ? 1 : 0;
            }
            for (Iterator<Map.Entry<String, BackendSeries>> it =
                            backends.entrySet().iterator();
                    it.hasNext(); ) {
                Map.Entry<String, BackendSeries> e = it.next();
                if (!present.contains(e.getKey())) {
                    e.getValue().remove();
                    it.remove();
                }
            }
            ready.set(readyCount);
            // A service port that left the configuration (listed while its connections finish) is not one
            // with no ready backend: it has no series of that.
            boolean departed = "removed".equals(service.get("action"));
            if (departed && readyGauge != null) {
                registry.remove(readyGauge);
                readyGauge = null;
            } else if (!departed && readyGauge == null) {
                readyGauge = Gauge.builder("vipd.service.backends.ready", ready, AtomicLong::get)
                        .description("Backends of the service port in state ready")
                        .tag("service", name)
                        .register(registry);
            }
        }

        void remove() {
            backends.values().forEach(BackendSeries::remove);
            if (readyGauge != null) {
                registry.remove(readyGauge);
            }
        }
    }

    /** The series of one backend of one service port; the state series is replaced when the state changes. */
    private final class BackendSeries {
        private final String service;
        private final String address;
        private final AtomicLong weight = new AtomicLong();
        private final AtomicLong active = new AtomicLong();
        private final AtomicLong ejections = new AtomicLong();
        private final List<Meter> meters;
        private String state;
        private Gauge stateGauge;

        BackendSeries(String service, String address) {
            this.service = service;
            this.address = address;
            meters = List.of(
                    Gauge.builder("vipd.backend.weight", weight, AtomicLong::get)
                            .description("The backend's weight (0: drained)")
                            .tags("service", service, "backend", address)
                            .register(registry),
                    Gauge.builder("vipd.backend.connections.active", active, AtomicLong::get)
                            .description("TCP connections to the backend through the service port open now")
                            .tags("service", service, "backend", address)
                            .register(registry),
                    FunctionCounter.builder("vipd.backend.ejections", ejections, AtomicLong::get)
                            .description("Times this node ejected the backend after failed connects")
                            .tags("service", service, "backend", address)
                            .register(registry));
        }

        void update(Map<String, Object> backend) {
            weight.set(number(backend.get("weight")));
            active.set(number(backend.get("activeConnections")));
            ejections.set(number(backend.get("ejections")));
            String now = String.valueOf(backend.get("state"));
            if (!now.equals(state)) {
                if (stateGauge != null) {
                    registry.remove(stateGauge);
                }
                state = now;
                stateGauge = Gauge.builder("vipd.backend.state", () -> 1)
                        .description("1 for the backend's state as /services shows it (one series per backend)")
                        .tags("service", service, "backend", address, "state", now)
                        .register(registry);
            }
        }

        void remove() {
            meters.forEach(registry::remove);
            if (stateGauge != null) {
                registry.remove(stateGauge);
            }
        }
    }
}
