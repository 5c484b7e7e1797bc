package io.vipd.lb;

/**
 * One IP family's CategorizeEndpoints outputs and the routes derived from them, as kube-proxy's proxier of that
 * family has them (kube-proxy-semantics.md §1.10): the cluster and local routes, and which of them internal and
 * external traffic take under the service's traffic policies. Immutable.
 */
final class FamilyRoutes {
    /** What a service port's settings decide about its routes, the same for both families. */
    record Policy(Algorithm algorithm, int maglevTableSize, boolean internalLocal, boolean externalLocal) {}

    final Policy policy;
    final boolean given;
    final BackendSet cluster;
    final BackendSet local;
    final boolean hasAny;
    final Route clusterRoute;
    final Route localRoute;
    final Route internal;
    final Route external;

    /**
     * @param previous the same family of the entry being replaced, whose pickers are reused where the backends
     *                 and the algorithm did not change; null for none
     * @param given    whether the family was given at all (a single-stack service's other family was not)
     */
    FamilyRoutes(
            Policy policy, BackendSet cluster, BackendSet local, boolean hasAny, FamilyRoutes previous, boolean given) {
        this.policy = policy;
        this.given = given;
        this.cluster = cluster;
        this.local = local;
        this.hasAny = hasAny;
        if (hasAny) {
            clusterRoute = routeOver(cluster, Action.REJECT, previous == null ? null : previous.clusterRoute, previous);
            localRoute = routeOver(local, Action.DROP, previous == null ? null : previous.localRoute, previous);
        } else {
            clusterRoute = Route.REJECT;
            localRoute = Route.REJECT;
        }
        internal = policy.internalLocal() ? localRoute : clusterRoute;
        external = policy.externalLocal() ? localRoute : clusterRoute;
    }

    Route route(FrontendType type, boolean shortCircuit) {
        if (!type.external()) {
            return internal;
        }
        return shortCircuit && policy.externalLocal() ? clusterRoute : external;
    }

    private Route routeOver(BackendSet set, Action whenEmpty, Route previous, FamilyRoutes prev) {
        if (set == null || set.isEmpty() || set.eligibleCount() == 0) {
            return whenEmpty == Action.DROP ? Route.DROP : Route.REJECT;
        }
        return Route.forward(
                set,
                policy.algorithm(),
                policy.maglevTableSize(),
                previous,
                prev == null ? null : prev.policy.algorithm());
    }
}
