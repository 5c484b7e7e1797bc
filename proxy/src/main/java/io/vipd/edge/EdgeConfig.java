package io.vipd.edge;

import io.vipd.lb.Frontend;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One parsed, valid edge configuration: the service ports it defines, and where each listen address was
 * written (so that a listener that cannot be opened is reported at its line). Immutable.
 *
 * @param file      the file name as given on the command line
 * @param entries   the service ports, at most one per name, no listen address used twice
 * @param locations where each frontend was written; a format that cannot tell leaves frontends out
 */
public record EdgeConfig(String file, List<ServicePortEntry> entries, Map<Frontend, ConfigLocation> locations) {
    public EdgeConfig {
        entries = List.copyOf(entries);
        locations = Map.copyOf(locations);
    }

    /** Every frontend of every entry. */
    public Set<Frontend> frontends() {
        Set<Frontend> all = new LinkedHashSet<>();
        for (ServicePortEntry e : entries) {
            for (ServiceFrontend f : e.frontends()) {
                all.add(f.frontend());
            }
        }
        return all;
    }

    public ConfigLocation location(Frontend frontend) {
        return locations.getOrDefault(frontend, ConfigLocation.UNKNOWN);
    }
}
