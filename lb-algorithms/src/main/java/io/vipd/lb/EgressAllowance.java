package io.vipd.lb;

import java.net.InetAddress;

/**
 * What one client may send to, as its egress policy says: node mode asks it for each backend candidate of a
 * new flow from that client. Built off the connection path; {@link #allows} runs on event loops for every
 * candidate, so it must be cheap (a few hash lookups), allocation-free and thread-safe.
 */
@FunctionalInterface
public interface EgressAllowance {
    /**
     * @param destination the backend's address (the endpoint, after the Service is resolved)
     * @param protocol    the flow's protocol
     * @param port        the backend's port (the endpoint port, which is what a policy's port names)
     * @return whether the client may open a flow to it
     */
    boolean allows(InetAddress destination, Protocol protocol, int port);
}
