package io.vipd.lb;

/**
 * How traffic reached a service port. ClusterIP traffic is internal (internalTrafficPolicy applies);
 * NodePort, externalIP and LoadBalancer traffic is external (externalTrafficPolicy applies).
 */
public enum FrontendType {
    CLUSTER_IP("ClusterIP"),
    NODE_PORT("NodePort"),
    EXTERNAL_IP("ExternalIP"),
    LOAD_BALANCER("LoadBalancer");

    private final String displayName;

    FrontendType(String displayName) {
        this.displayName = displayName;
    }

    public boolean external() {
        return this != CLUSTER_IP;
    }

    /** The name kube-proxy users know: ClusterIP, NodePort, ExternalIP, LoadBalancer. */
    public String displayName() {
        return displayName;
    }
}
