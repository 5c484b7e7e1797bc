package io.vipd.lb;

/**
 * A table value: the service port a frontend belongs to and how traffic through it is classified. Immutable.
 *
 * @param serverNames non-null when the connection's TLS server name picks the service (services sharing the
 *                    address, or one that names its server names): then {@code entry} is only one of them
 */
public record FrontendEntry(ServicePortEntry entry, FrontendType type, ServerNameRoutes serverNames) {
    public FrontendEntry(ServicePortEntry entry, FrontendType type) {
        this(entry, type, null);
    }
}
