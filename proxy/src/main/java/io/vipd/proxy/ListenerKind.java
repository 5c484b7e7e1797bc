package io.vipd.proxy;

/** How a listener finds the table entry for its traffic. */
enum ListenerKind {
    /** Bound to a frontend address: look up by the local address. */
    ADDRESS,
    /** Bound to the wildcard address for a NodePort: look up by port. */
    NODE_PORT,
    /** Node mode TPROXY listener: look up by the original destination, NodePort by port on node addresses. */
    TRANSPARENT
}
