/**
 * The data plane: Netty TCP and UDP listeners (native epoll, NIO as a fallback), the per-connection relay
 * (copying, or splice(2) between sockets), UDP flows, connect retries, passive backend health and ejection,
 * active health checks (run on the forwarding loops) and run-time drains, PROXY protocol headers, and the
 * per-service and per-backend counters and meters. Each new connection or flow is looked up in the
 * {@link io.vipd.lb.ServiceTable} by its local address and given a backend by the entry's picker.
 *
 * <p>Imports only {@code io.vipd.lb} of vipd (plus Netty, Micrometer, JNA for fcntl, SLF4J). It never imports the
 * command line, a composition (edge, node), admin, the watcher or nodeport, and it never writes the table:
 * it listens to it only to drop UDP flows whose backend left.
 *
 * <p>Threading: everything on the connection path runs on event loops and takes no lock. A connection and
 * its backend connection live on the client's event loop and are touched by that thread only; so are a loop's
 * UDP flow table and its loop-local state. What loops share is immutable after start (settings, the engine's
 * context) or thread-safe and lock-free (the table, backend health, counters). Listeners are opened and
 * closed from any thread but an event loop; table listener calls arrive on the sync thread.
 */
package io.vipd.proxy;
