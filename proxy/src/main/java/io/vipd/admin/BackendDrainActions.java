package io.vipd.admin;

import io.vipd.lb.Addresses;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.proxy.BackendDrains;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The admin actions behind {@code vipd backend drain} and {@code undrain}: {@value #DRAIN} and {@value #UNDRAIN}
 * with query parameters {@code service} and {@code backend}. The service is named as {@code /services} names it,
 * with or without its protocol ({@code default/web/TCP} or {@code default/web}; a Service's name alone also
 * names every port of it); the backend as {@code ip:port}. The change applies to every named service port that
 * lists the backend. Answers a JSON document: {@code backend}, {@code drained} and the {@code services} changed.
 */
public final class BackendDrainActions {
    public static final String DRAIN = "/backends/drain";
    public static final String UNDRAIN = "/backends/undrain";

    private final ServiceTable table;
    private final BackendDrains drains;

    public BackendDrainActions(ServiceTable table, BackendDrains drains) {
        this.table = table;
        this.drains = drains;
    }

    /** Both actions by path, for {@link AdminServer#bind(java.net.InetSocketAddress, Map, Map)}. */
    public Map<String, AdminAction> actions() {
        return Map.of(DRAIN, q -> act(q, true), UNDRAIN, q -> act(q, false));
    }

    private AdminResponse act(Map<String, List<String>> query, boolean drain) {
        String service = single(query, "service");
        String backend = single(query, "backend");
        if (service == null || backend == null) {
            return AdminResponse.text(400, "want the query parameters service and backend, once each\n");
        }
        String key;
        try {
            key = Addresses.key(Addresses.parseIpPort(backend.trim()));
        } catch (IllegalArgumentException e) {
            return AdminResponse.text(400, "backend \"" + backend + "\" is not an ip:port\n");
        }
        List<ServicePortEntry> named = named(service.trim());
        if (named.isEmpty()) {
            return AdminResponse.text(404, "no service " + service + " (see vipd services)\n");
        }
        List<String> changed = new ArrayList<>();
        List<String> ports = new ArrayList<>();
        for (ServicePortEntry e : named) {
            if (!e.endpoints().containsKey(key)) {
                continue;
            }
            ports.add(e.name().toString());
            try {
                if (drain ? drains.drain(e.name(), key) : drains.undrain(e.name(), key)) {
                    changed.add(e.name().toString());
                }
            } catch (IllegalArgumentException gone) {
                // The port or backend left the table since it was looked up: as if it had never been listed.
                ports.remove(e.name().toString());
            }
        }
        if (ports.isEmpty()) {
            return AdminResponse.text(404, "service " + service + " has no backend " + key + " (see vipd services)\n");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("backend", key);
        body.put("drained", drain);
        body.put("services", ports);
        body.put("changed", changed);
        return AdminResponse.json(200, Json.write(body));
    }

    /** Service ports named "ns/name:port/PROTO", "ns/name:port" or "ns/name". */
    private List<ServicePortEntry> named(String service) {
        List<ServicePortEntry> out = new ArrayList<>();
        for (ServicePortEntry e : table.entries()) {
            ServicePortName n = e.name();
            String full = n.toString();
            String withoutProtocol =
                    full.substring(0, full.length() - n.protocol().name().length() - 1);
            if (service.equals(full)
                    || service.equals(withoutProtocol)
                    || service.equals(n.service().toString())) {
                out.add(e);
            }
        }
        return out;
    }

    private static String single(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.size() != 1 ? null : values.get(0);
    }
}
