package io.vipd.proxy;

import io.vipd.lb.ServicePortName;
import java.time.Instant;
import java.util.List;

/**
 * A snapshot of the engine's runtime state for status pages ({@code /services}): per service port, its
 * active connections and, per backend, active and total connections, connect failures and ejection.
 * Immutable; services are sorted by name, backends by key.
 *
 * @param activeConnections TCP client connections being relayed now, all services
 * @param activeUdpFlows    UDP flows held now, all services
 * @param services          one row per service port that has seen traffic or is in the table
 */
public record ProxyStats(int activeConnections, int activeUdpFlows, List<ServiceStats> services) {
    public ProxyStats {
        services = List.copyOf(services);
    }

    /** The row of one service port, or null. */
    public ServiceStats service(ServicePortName name) {
        for (ServiceStats s : services) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    /**
     * @param name              the service port
     * @param activeConnections TCP connections of this service port being relayed now
     * @param activeUdpFlows    UDP flows of this service port held now
     * @param backends          one row per backend that is in the table or still has connections
     * @param forwarded         whether this node has carried (or refused) a connection or flow of it: its
     *                          per-service and per-backend metric series exist only then
     */
    public record ServiceStats(
            ServicePortName name,
            long activeConnections,
            long activeUdpFlows,
            List<BackendStats> backends,
            boolean forwarded) {
        public ServiceStats {
            backends = List.copyOf(backends);
        }

        /** A row of a service port this node has forwarded. */
        public ServiceStats(
                ServicePortName name, long activeConnections, long activeUdpFlows, List<BackendStats> backends) {
            this(name, activeConnections, activeUdpFlows, backends, true);
        }

        /** The row of one backend by key ("ip:port"), or null. */
        public BackendStats backend(String key) {
            for (BackendStats b : backends) {
                if (b.key().equals(key)) {
                    return b;
                }
            }
            return null;
        }
    }

    /**
     * @param key               "ip:port"
     * @param activeConnections connections to this backend open now (through this service port)
     * @param totalConnections  connections established to it since start
     * @param connectFailures   connect attempts to it that failed since start
     * @param ejected           whether this node skips it now after repeated connect failures
     * @param ejections         how many times this node ejected it since it joined the table
     * @param drained           whether an operator drained it at run time ({@code vipd backend drain})
     * @param check             its active health check, or null when its service port has none
     */
    public record BackendStats(
            String key,
            long activeConnections,
            long totalConnections,
            long connectFailures,
            boolean ejected,
            long ejections,
            boolean drained,
            CheckStatus check) {
        /** A backend neither drained nor health-checked, with no ejection history. */
        public BackendStats(
                String key, long activeConnections, long totalConnections, long connectFailures, boolean ejected) {
            this(key, activeConnections, totalConnections, connectFailures, ejected, 0, false, null);
        }

        /** A backend neither drained nor health-checked. */
        public BackendStats(
                String key,
                long activeConnections,
                long totalConnections,
                long connectFailures,
                boolean ejected,
                long ejections) {
            this(key, activeConnections, totalConnections, connectFailures, ejected, ejections, false, null);
        }

        BackendStats with(boolean drained, CheckStatus check) {
            return new BackendStats(
                    key, activeConnections, totalConnections, connectFailures, ejected, ejections, drained, check);
        }
    }

    /**
     * The active health check of one backend.
     *
     * @param up     whether the checks let it take new flows
     * @param type   "tcp" or "http"
     * @param result what the last check saw ("http 200", "connect failed: connection refused", ...), or null
     *               before the first
     * @param at     when the last check ended, or null before the first
     */
    public record CheckStatus(boolean up, String type, String result, Instant at) {}
}
