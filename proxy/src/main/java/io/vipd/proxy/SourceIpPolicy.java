package io.vipd.proxy;

import io.vipd.lb.FrontendType;
import io.vipd.lb.ServicePortEntry;
import java.net.InetAddress;

/**
 * Node mode, per flow: whether the backend connection keeps the client's own address (transparent egress,
 * IP_TRANSPARENT) or uses the node's (a normal connect, which amounts to kube-proxy's masquerade). Called on
 * the event loop for every backend connect attempt and new UDP flow, so implementations must be cheap,
 * allocation-free and thread-safe.
 */
@FunctionalInterface
public interface SourceIpPolicy {
    /** Every flow uses the node's address. */
    SourceIpPolicy NODE = (type, entry, shortCircuit, client, backend) -> false;
    /** Every flow keeps the client's address. */
    SourceIpPolicy CLIENT = (type, entry, shortCircuit, client, backend) -> true;

    /**
     * @param type         how the flow arrived
     * @param entry        its service port
     * @param shortCircuit external traffic from this node or a local pod (under externalTrafficPolicy Local it
     *                     went to the cluster endpoints)
     * @param client       the client's address
     * @param backend      the chosen backend's address
     * @return true to connect from the client's address, false from the node's
     */
    boolean keepClientAddress(
            FrontendType type, ServicePortEntry entry, boolean shortCircuit, InetAddress client, InetAddress backend);
}
