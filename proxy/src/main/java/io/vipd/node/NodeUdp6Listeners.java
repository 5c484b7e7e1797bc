package io.vipd.node;

import io.vipd.lb.Frontend;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.lb.TableListener;
import io.vipd.proxy.ListenerException;
import io.vipd.proxy.ProxyServer;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Node mode's IPv6 UDP frontends, each on a transparent socket of its own ({@code [ClusterIP]:port}, the same for
 * externalIPs and LoadBalancer IPs, and {@code [node IP]:nodePort} for each IPv6 NodePort address), kept in step
 * with the table.
 *
 * <p>Why not the shared transparent listener: it learns a datagram's frontend from the original destination,
 * and Netty's epoll transport asks the kernel only for the IPv4 one ({@code IP_RECVORIGDSTADDR}; its native
 * {@code recvmsg} parses no {@code IPV6_ORIGDSTADDR} control message), so an IPv6 datagram arrived there as
 * {@code [::]:port}. A socket bound to the frontend itself is its own answer: its local address is the frontend,
 * and it answers from that address. nftables sends IPv6 UDP to it with {@code tproxy ip6 to ip6 daddr}
 * ({@code NftRuleset}), whose socket lookup is by the packet's destination address and port. Costs one socket
 * per event loop per IPv6 UDP frontend, all taken over on an upgrade like any listener.
 *
 * <p>A frontend whose socket cannot be bound is logged and tried again on the next table change; nftables drops
 * its datagrams meanwhile (no socket for TPROXY), and clients retry. Thread-safe: methods are synchronized.
 */
final class NodeUdp6Listeners implements TableListener {
    private static final Logger log = LoggerFactory.getLogger(NodeUdp6Listeners.class);

    private final ProxyServer proxy;
    private List<InetAddress> nodePortAddresses;
    private final Map<ServicePortName, Set<Frontend>> contributions = new HashMap<>();
    private final Map<Frontend, Integer> counts = new HashMap<>();
    /** Frontends whose socket could not be bound yet. */
    private final Set<Frontend> pending = new LinkedHashSet<>();

    private boolean stopped;

    NodeUdp6Listeners(ProxyServer proxy, List<InetAddress> nodePortAddresses) {
        this.proxy = proxy;
        this.nodePortAddresses = ipv6(nodePortAddresses);
    }

    /** NodePorts move to other node addresses (the node's addresses changed): sockets follow. */
    synchronized void setNodePortAddresses(List<InetAddress> addresses, ServiceTable table) {
        List<InetAddress> next = ipv6(addresses);
        if (next.equals(nodePortAddresses)) {
            return;
        }
        nodePortAddresses = next;
        syncAll(table);
    }

    private static List<InetAddress> ipv6(List<InetAddress> addresses) {
        return addresses.stream().filter(a -> a instanceof Inet6Address).toList();
    }

    /** The IPv6 UDP sockets {@code entry} needs. */
    static Set<Frontend> of(ServicePortEntry entry, List<InetAddress> nodePortAddresses) {
        Set<Frontend> out = new LinkedHashSet<>();
        if (entry.name().protocol() != Protocol.UDP) {
            return out;
        }
        for (ServiceFrontend sf : entry.frontends()) {
            Frontend f = sf.frontend();
            if (f.protocol() != Protocol.UDP) {
                continue;
            }
            if (f.isNodePort()) {
                for (InetAddress a : nodePortAddresses) {
                    if (a instanceof Inet6Address) {
                        out.add(new Frontend(a, f.port(), Protocol.UDP));
                    }
                }
            } else if (f.address() instanceof Inet6Address) {
                out.add(f);
            }
        }
        return out;
    }

    /** Opens the sockets the whole table needs and closes the others. */
    synchronized void syncAll(ServiceTable table) {
        Set<ServicePortName> all = new LinkedHashSet<>(contributions.keySet());
        for (ServicePortEntry e : table.entries()) {
            all.add(e.name());
        }
        update(table, all);
    }

    @Override
    public synchronized void onTableChanged(ServiceTable table, Set<ServicePortName> changed) {
        update(table, changed);
    }

    /** A successor owns the sockets now: change nothing any more. */
    synchronized void stop() {
        stopped = true;
    }

    /** The frontends with a socket wanted now. */
    synchronized Set<Frontend> wanted() {
        return Set.copyOf(counts.keySet());
    }

    private void update(ServiceTable table, Set<ServicePortName> names) {
        if (stopped) {
            return;
        }
        List<Frontend> added = new ArrayList<>(pending);
        List<Frontend> removed = new ArrayList<>();
        for (ServicePortName name : names) {
            ServicePortEntry entry = table.get(name);
            Set<Frontend> next = entry == null ? Set.of() : of(entry, nodePortAddresses);
            Set<Frontend> previous = contributions.getOrDefault(name, Set.of());
            if (next.equals(previous)) {
                continue;
            }
            for (Frontend f : previous) {
                if (counts.merge(f, -1, Integer::sum) <= 0) {
                    counts.remove(f);
                    removed.add(f);
                }
            }
            for (Frontend f : next) {
                if (counts.merge(f, 1, Integer::sum) == 1) {
                    added.add(f);
                }
            }
            if (next.isEmpty()) {
                contributions.remove(name);
            } else {
                contributions.put(name, next);
            }
        }
        // A frontend moving from one service port to another in the same change keeps its socket.
        List<Frontend> closing =
                removed.stream().filter(f -> !counts.containsKey(f)).toList();
        pending.removeAll(closing);
        proxy.close(closing);
        for (Frontend f : added) {
            if (!counts.containsKey(f)) {
                pending.remove(f);
                continue;
            }
            try {
                proxy.open(List.of(f));
                pending.remove(f);
            } catch (ListenerException | RuntimeException e) {
                if (pending.add(f)) {
                    log.atWarn()
                            .addKeyValue("frontend", f)
                            .addKeyValue("reason", e.getMessage())
                            .log("cannot open the IPv6 UDP frontend's socket; its datagrams are dropped until "
                                    + "it opens (tried again on the next change)");
                }
            }
        }
    }
}
