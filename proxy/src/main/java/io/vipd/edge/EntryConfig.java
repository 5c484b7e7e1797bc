package io.vipd.edge;

import io.vipd.lb.Frontend;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.proxy.HealthCheck;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An edge configuration whose format built the service port entries itself (the compact format): the applier
 * installs the entries that differ from those in force. Immutable.
 *
 * @param file      the file name as given on the command line
 * @param entries   the service ports, at most one per name, no listen address used twice
 * @param locations    where each frontend was written; a format that cannot tell leaves frontends out
 * @param healthChecks the active health checks of the service ports that have one
 */
public record EntryConfig(
        String file,
        List<ServicePortEntry> entries,
        Map<Frontend, ConfigLocation> locations,
        Map<ServicePortName, HealthCheck> healthChecks)
        implements EdgeConfig {
    public EntryConfig {
        entries = List.copyOf(entries);
        locations = Map.copyOf(locations);
        healthChecks = Map.copyOf(healthChecks);
    }

    /** Without health checks. */
    public EntryConfig(String file, List<ServicePortEntry> entries, Map<Frontend, ConfigLocation> locations) {
        this(file, entries, locations, Map.of());
    }

    @Override
    public Map<ServicePortName, HealthCheck> healthChecks(Collection<ServicePortName> ports) {
        Map<ServicePortName, HealthCheck> out = new HashMap<>();
        for (ServicePortName port : ports) {
            HealthCheck check = healthChecks.get(port);
            if (check != null) {
                out.put(port, check);
            }
        }
        return out;
    }

    @Override
    public Set<Frontend> frontends() {
        Set<Frontend> all = new LinkedHashSet<>();
        for (ServicePortEntry e : entries) {
            for (ServiceFrontend f : e.frontends()) {
                all.add(f.frontend());
            }
        }
        return all;
    }

    @Override
    public ConfigLocation location(Frontend frontend) {
        return locations.getOrDefault(frontend, ConfigLocation.UNKNOWN);
    }
}
