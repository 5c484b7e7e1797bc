package io.vipd.lb;

/**
 * The condition of an endpoint, reduced from EndpointSlice conditions as kube-proxy reads them:
 * READY receives new traffic; SERVING_TERMINATING only when a policy has no READY endpoint
 * (KEP-1669); NOT_SERVING never.
 */
public enum BackendState {
    READY,
    SERVING_TERMINATING,
    NOT_SERVING;

    /** kube-proxy's (ready, serving, terminating) triple to a state. */
    public static BackendState of(boolean ready, boolean serving, boolean terminating) {
        if (ready) {
            return READY;
        }
        return serving && terminating ? SERVING_TERMINATING : NOT_SERVING;
    }

    public boolean serving() {
        return this != NOT_SERVING;
    }
}
