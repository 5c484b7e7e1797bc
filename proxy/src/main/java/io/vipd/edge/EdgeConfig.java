package io.vipd.edge;

import io.vipd.lb.Frontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.proxy.HealthCheck;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One parsed, valid edge configuration: the frontends it listens on, and its service ports in one of two
 * shapes, each with its own path to the table (see {@link EdgeConfigApplier}): entries a format built itself
 * ({@link EntryConfig}), or Kubernetes objects that the endpoints watcher's tracker turns into entries
 * ({@link ManifestConfig}). Immutable.
 */
public sealed interface EdgeConfig permits EntryConfig, ManifestConfig {
    /** The file name as given on the command line. */
    String file();

    /** Every frontend of every service port: the listeners this configuration needs. */
    Set<Frontend> frontends();

    /** Where a frontend was written, for errors; {@link ConfigLocation#UNKNOWN} when the format cannot tell. */
    ConfigLocation location(Frontend frontend);

    /** The service ports, at most one per name, for inspection (the demo, tests). */
    List<ServicePortEntry> entries();

    /** The active health checks of those of {@code ports} (as applied to the table) that ask for one. */
    Map<ServicePortName, HealthCheck> healthChecks(Collection<ServicePortName> ports);
}
