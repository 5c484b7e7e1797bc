package io.vipd.edge;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vipd.lb.Frontend;
import io.vipd.lb.NamespacedName;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.proxy.HealthCheck;
import io.vipd.watcher.ChangeTracker;
import io.vipd.watcher.FeatureGates;
import io.vipd.watcher.FileSource;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An edge configuration of Kubernetes objects (Services, EndpointSlices): the applier feeds them to the endpoints
 * watcher's {@link ChangeTracker}, as a Kubernetes watch feeds it on a node, and the tracker's sync builds and
 * applies the service ports that changed. Read as a node without a name would (so no endpoint is local), with
 * kube-proxy's default feature gates. Immutable.
 *
 * @param file         the file name as given on the command line
 * @param objects      the decoded objects, without errors
 * @param healthChecks the active health checks Services ask for by annotation ({@link HealthCheckAnnotations})
 */
public record ManifestConfig(String file, FileSource.Loaded objects, Map<NamespacedName, HealthCheck> healthChecks)
        implements EdgeConfig {
    public ManifestConfig {
        if (!objects.ok()) {
            throw new IllegalArgumentException("manifests with errors: " + objects.errors());
        }
        healthChecks = Map.copyOf(healthChecks);
    }

    /** Without health checks. */
    public ManifestConfig(String file, FileSource.Loaded objects) {
        this(file, objects, Map.of());
    }

    /**
     * Every port of an annotated Service; a UDP port only when the annotations name a port to check, since a
     * backend's UDP port cannot be checked by a TCP connect.
     */
    @Override
    public Map<ServicePortName, HealthCheck> healthChecks(Collection<ServicePortName> ports) {
        Map<ServicePortName, HealthCheck> out = new HashMap<>();
        for (ServicePortName port : ports) {
            HealthCheck check = healthChecks.get(port.service());
            if (check != null && (port.protocol() != Protocol.UDP || check.port() != 0)) {
                out.put(port, check);
            }
        }
        return out;
    }

    /** A tracker that builds manifests into {@code table} as the edge reads them. */
    static ChangeTracker newTracker(ServiceTable table) {
        // The tracker's kube-proxy metrics stay out of the edge's /metrics, as they did while manifests were
        // read into a throwaway table.
        return new ChangeTracker("", FeatureGates.defaults(), table, new SimpleMeterRegistry());
    }

    @Override
    public Set<Frontend> frontends() {
        return new LinkedHashSet<>(FileSource.frontends(objects).keySet());
    }

    /** Names the Service a frontend belongs to; manifests give no line. */
    @Override
    public ConfigLocation location(Frontend frontend) {
        NamespacedName service = FileSource.frontends(objects).get(frontend);
        return service == null ? ConfigLocation.UNKNOWN : new ConfigLocation(0, "Service " + service);
    }

    /**
     * The service ports, built from scratch on every call into a table of their own; a running edge syncs the
     * objects into its table instead (see {@link EdgeConfigApplier}).
     */
    @Override
    public List<ServicePortEntry> entries() {
        ServiceTable scratch = new ServiceTable();
        ChangeTracker tracker = newTracker(scratch);
        new FileSource(tracker).apply(objects);
        tracker.sync();
        return scratch.entries();
    }
}
