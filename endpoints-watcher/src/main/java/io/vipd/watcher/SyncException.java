package io.vipd.watcher;

import io.vipd.lb.NamespacedName;
import java.util.List;

/** A sync could not build some service ports; they stay as they were and are retried at the next sync. */
public final class SyncException extends RuntimeException {
    private final List<NamespacedName> services;

    /**
     * @param services the services that could not be built, at least one
     * @param cause    why the first of them could not
     */
    public SyncException(List<NamespacedName> services, Throwable cause) {
        super("could not build " + services.size() + " service(s), first " + services.get(0), cause);
        this.services = List.copyOf(services);
    }

    /** The services that could not be built. */
    public List<NamespacedName> services() {
        return services;
    }
}
