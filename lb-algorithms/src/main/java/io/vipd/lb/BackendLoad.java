package io.vipd.lb;

/**
 * The load a picker may weigh when it picks: active connections per backend key, as the data plane counts
 * them. The data plane owns the counts and hands them to the picker at pick time (as grpc-java's and Armeria's
 * pickers take their load), so nothing in the table or the control plane holds data-plane state.
 *
 * <p>Called on event-loop threads for every pick of a least-connections picker: implementations must be
 * lock-free and allocation-free.
 */
@FunctionalInterface
public interface BackendLoad {
    /** No load anywhere: for pickers that ignore it, and for callers without a data plane (plans, tests). */
    BackendLoad NONE = backendKey -> 0;

    /** Connections open to the backend now; 0 for a backend never seen. */
    int activeConnections(String backendKey);
}
