package io.vipd.proxy;

import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import java.util.Map;
import java.util.Set;

/**
 * Run-time drains of backends on this node, as HAProxy's {@code set server ... state drain}: a drained backend
 * has weight 0, so it takes no new connections or flows (ClientIP affinity to it included) while its
 * established ones go on. A drain lasts until {@link #undrain}, until the backend leaves its service port, or
 * until the composition forgets it (an edge reload that changes the backend). Thread-safe.
 */
public final class BackendDrains {
    private final ServiceTable table;
    private final UnavailableBackends unavailable;

    BackendDrains(ServiceTable table, UnavailableBackends unavailable) {
        this.table = table;
        this.unavailable = unavailable;
    }

    /**
     * @return false when it was drained already
     * @throws IllegalArgumentException when the port is not in the table or does not list the backend
     */
    public boolean drain(ServicePortName port, String backendKey) {
        ServicePortEntry entry = table.get(port);
        if (entry == null) {
            throw new IllegalArgumentException("no service port " + port);
        }
        if (!entry.endpoints().containsKey(backendKey)) {
            throw new IllegalArgumentException(port + " has no backend " + backendKey);
        }
        return unavailable.drain(port, backendKey);
    }

    /** @return false when the backend was not drained */
    public boolean undrain(ServicePortName port, String backendKey) {
        return unavailable.undrain(port, backendKey);
    }

    public boolean isDrained(ServicePortName port, String backendKey) {
        return unavailable.isDrained(port, backendKey);
    }

    /** The drains in force, by service port, sorted. */
    public Map<ServicePortName, Set<String>> drained() {
        return unavailable.drained();
    }
}
