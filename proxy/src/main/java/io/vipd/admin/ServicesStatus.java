package io.vipd.admin;

import io.vipd.lb.Backend;
import io.vipd.lb.BackendState;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Route;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.proxy.ProxyStats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The {@code /services} document: every service port in the table with its frontends, settings, backends
 * (weight, state, active and total connections, connect failures, ejections) and active connections, and
 * whether this node has forwarded it, joined with the forwarding engine's runtime stats. Built as a tree of maps and lists so one model feeds the JSON, the
 * status page, {@code vipd services} and the per-backend metric series ({@link StatusMetrics}).
 *
 * <p>Backend states: {@code ready}; {@code drained} (weight 0, no new flows: in the configuration, or at run
 * time by {@code vipd backend drain}, which shows weight 0 too); {@code terminating} and {@code not-serving}
 * (from EndpointSlice conditions); {@code unhealthy} (down by active health checks: no new flows);
 * {@code ejected} (skipped on this node after connect failures); {@code removed} (gone from the configuration,
 * connections still open). A health-checked backend also carries {@code healthCheck}: its type, whether it is
 * up, and the last check's result and time. A service port that left the table while connections through it
 * remain is listed with action {@code removed}.
 */
public final class ServicesStatus {
    private final ServiceTable table;
    private final Supplier<ProxyStats> stats;

    public ServicesStatus(ServiceTable table, Supplier<ProxyStats> stats) {
        this.table = table;
        this.stats = stats;
    }

    public Map<String, Object> model() {
        ProxyStats runtime = stats.get();
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("activeConnections", runtime.activeConnections());
        root.put("activeUdpFlows", runtime.activeUdpFlows());
        List<Object> services = new ArrayList<>();
        Set<ServicePortName> listed = new LinkedHashSet<>();
        for (ServicePortEntry entry : table.entries()) {
            listed.add(entry.name());
            services.add(service(entry, runtime.service(entry.name())));
        }
        for (ProxyStats.ServiceStats gone : runtime.services()) {
            if (!listed.contains(gone.name()) && gone.activeConnections() + gone.activeUdpFlows() > 0) {
                services.add(removedService(gone));
            }
        }
        root.put("services", services);
        return root;
    }

    private static Map<String, Object> service(ServicePortEntry entry, ProxyStats.ServiceStats runtime) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("name", entry.name().toString());
        s.put("namespace", entry.name().service().namespace());
        s.put("service", entry.name().service().name());
        s.put("port", entry.name().port());
        s.put("protocol", entry.name().protocol().name());
        List<Object> frontends = new ArrayList<>();
        boolean anyExternal = false;
        for (ServiceFrontend f : entry.frontends()) {
            Map<String, Object> fm = new LinkedHashMap<>();
            fm.put("address", f.frontend().toString());
            fm.put("type", f.type().displayName());
            frontends.add(fm);
            anyExternal |= f.type().external();
        }
        s.put("frontends", frontends);
        s.put("algorithm", entry.algorithm().configName());
        s.put("sessionAffinity", entry.clientIpAffinity() ? "ClientIP" : "None");
        s.put("sessionAffinityTimeoutSeconds", entry.affinityTimeoutSeconds());
        s.put("proxyProtocol", entry.proxyProtocol().name().toLowerCase(java.util.Locale.ROOT));
        Route route = anyExternal ? entry.route(FrontendType.LOAD_BALANCER, false) : entry.internalRoute();
        s.put("action", route.action().displayName());
        s.put("activeConnections", runtime == null ? 0 : runtime.activeConnections());
        s.put("activeUdpFlows", runtime == null ? 0 : runtime.activeUdpFlows());
        s.put("forwarded", runtime != null && runtime.forwarded());
        s.put("backends", backends(entry, runtime));
        return s;
    }

    /** A service port that left the configuration while connections through it remain. */
    private static Map<String, Object> removedService(ProxyStats.ServiceStats runtime) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("name", runtime.name().toString());
        s.put("namespace", runtime.name().service().namespace());
        s.put("service", runtime.name().service().name());
        s.put("port", runtime.name().port());
        s.put("protocol", runtime.name().protocol().name());
        s.put("frontends", List.of());
        s.put("action", "removed");
        s.put("activeConnections", runtime.activeConnections());
        s.put("activeUdpFlows", runtime.activeUdpFlows());
        s.put("forwarded", runtime.forwarded());
        List<Object> backends = new ArrayList<>();
        for (ProxyStats.BackendStats bs : runtime.backends()) {
            if (bs.activeConnections() > 0) {
                backends.add(backend(bs.key(), 0, "removed", bs));
            }
        }
        s.put("backends", backends);
        return s;
    }

    private static List<Object> backends(ServicePortEntry entry, ProxyStats.ServiceStats runtime) {
        List<Object> out = new ArrayList<>();
        Set<String> listed = new LinkedHashSet<>();
        for (Backend b : entry.endpoints().backends()) {
            ProxyStats.BackendStats bs = runtime == null ? null : runtime.backend(b.key());
            listed.add(b.key());
            boolean drained = bs != null && bs.drained();
            out.add(backend(b.key(), drained ? 0 : b.weight(), state(b, bs), bs));
        }
        if (runtime != null) {
            for (ProxyStats.BackendStats bs : runtime.backends()) {
                if (!listed.contains(bs.key()) && bs.activeConnections() > 0) {
                    out.add(backend(bs.key(), 0, "removed", bs));
                }
            }
        }
        return out;
    }

    private static String state(Backend b, ProxyStats.BackendStats runtime) {
        if (b.state() == BackendState.NOT_SERVING) {
            return "not-serving";
        }
        if (runtime != null && runtime.drained()) {
            return "drained";
        }
        if (runtime != null && runtime.check() != null && !runtime.check().up()) {
            return "unhealthy";
        }
        if (runtime != null && runtime.ejected()) {
            return "ejected";
        }
        if (b.state() == BackendState.SERVING_TERMINATING) {
            return "terminating";
        }
        return b.weight() == 0 ? "drained" : "ready";
    }

    private static Map<String, Object> backend(String key, int weight, String state, ProxyStats.BackendStats bs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("address", key);
        m.put("weight", weight);
        m.put("state", state);
        m.put("activeConnections", bs == null ? 0 : bs.activeConnections());
        m.put("totalConnections", bs == null ? 0 : bs.totalConnections());
        m.put("connectFailures", bs == null ? 0 : bs.connectFailures());
        m.put("ejections", bs == null ? 0 : bs.ejections());
        if (bs != null && bs.check() != null) {
            ProxyStats.CheckStatus c = bs.check();
            Map<String, Object> check = new LinkedHashMap<>();
            check.put("type", c.type());
            check.put("up", c.up());
            check.put("lastResult", c.result());
            check.put("lastCheckAt", c.at() == null ? null : c.at().toString());
            m.put("healthCheck", check);
        }
        return m;
    }
}
