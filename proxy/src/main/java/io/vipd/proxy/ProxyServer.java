package io.vipd.proxy;

import io.micrometer.core.instrument.MeterRegistry;
import io.vipd.lb.Frontend;
import io.vipd.lb.ServiceTable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * The forwarding engine: TCP and UDP listeners on Netty event loops (native epoll when available, NIO
 * otherwise) that look each new connection or flow up in the {@link ServiceTable}, pick a backend and relay.
 *
 * <p>Life cycle: construct, {@link #start()}, {@link #open} frontends (any number of times, from any thread),
 * {@link #shutdown(Duration)} or {@link #close()}. The engine never writes the table; it listens to it to
 * evict UDP flows whose backend left.
 */
public final class ProxyServer implements AutoCloseable {

    public ProxyServer(ServiceTable table, ProxyConfig config, MeterRegistry registry) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** Starts the event loops (epoll if available, else NIO) and registers a table listener. */
    public void start() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * Opens listeners for these frontends (TCP: SO_REUSEPORT, one bind per event loop; UDP: one datagram
     * socket per loop with SO_REUSEPORT). A NodePort frontend (no address) binds the wildcard address and is
     * served by a NodePort lookup by port. All or nothing: if any bind fails, closes what this call opened
     * and throws a ListenerException naming the address and reason (e.g.
     * "127.0.0.1:8080/TCP: Address already in use"). Already-open frontends are left as they are.
     */
    public void open(Collection<Frontend> frontends) throws ListenerException {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** Closes listeners; established connections and UDP flows through them are kept. */
    public void close(Collection<Frontend> frontends) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** The frontends with open listeners now. */
    public Set<Frontend> openFrontends() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * Node mode: one transparent TCP and one UDP listener (IP_TRANSPARENT, and IP_RECVORIGDSTADDR for UDP)
     * that serve every frontend in the table by the original destination. Needs epoll and CAP_NET_ADMIN.
     */
    public void openTransparent(InetSocketAddress tcp, InetSocketAddress udp) throws ListenerException {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * Node mode hook: traffic whose original destination is one of these addresses and matches no frontend
     * by address is looked up as a NodePort by its port. Default: no node addresses.
     */
    public void setNodeAddresses(Predicate<InetAddress> isNodeAddress) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * Node mode hook: whether a client address is on this node (the node itself or a local pod); such
     * external traffic is short-circuited to the cluster endpoints under externalTrafficPolicy Local, as
     * kube-proxy does. Default: no client is local.
     */
    public void setLocalOrigin(Predicate<InetAddress> isLocalClient) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** Stops accepting, lets established connections finish up to {@code grace}, then closes the rest. */
    public CompletableFuture<Void> shutdown(Duration grace) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** TCP client connections being relayed now. */
    public int activeConnections() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** UDP flows held now. */
    public int activeUdpFlows() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** Per-service runtime state for status pages. */
    public ProxyStats stats() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** Closes every listener and connection at once and stops the event loops. */
    @Override
    public void close() {
        throw new UnsupportedOperationException("not yet implemented");
    }
}
