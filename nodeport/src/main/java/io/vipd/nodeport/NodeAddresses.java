package io.vipd.nodeport;

import io.vipd.lb.Cidr;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's own addresses and which of them accept NodePort (and healthCheckNodePort) traffic.
 *
 * <p>Discovery reads the interfaces through {@link NetworkInterface} and the default routes from
 * {@code /proc/net/route} and {@code /proc/net/ipv6_route}, so it never sends a packet. Selection is a
 * pure function ({@link #select}), as kube-proxy's {@code NodePortAddresses.GetNodeIPs}. Thread-safe
 * (stateless).
 */
public final class NodeAddresses {
    private static final Logger log = LoggerFactory.getLogger(NodeAddresses.class);

    private NodeAddresses() {}

    /** One address of one interface. */
    public record InterfaceAddress(String interfaceName, InetAddress address) {}

    /** The primary address of each family ({@link #primary}) among {@code local}, by the default routes now. */
    public static List<InetAddress> routePrimaries(List<InterfaceAddress> local) {
        List<InetAddress> primaries = new ArrayList<>();
        primary(local, defaultRouteInterface(false), false).ifPresent(primaries::add);
        primary(local, defaultRouteInterface(true), true).ifPresent(primaries::add);
        return primaries;
    }

    /** Every address of every interface that is up, in interface order. */
    public static List<InterfaceAddress> discover() {
        List<InterfaceAddress> out = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!ni.isUp()) {
                    continue;
                }
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    out.add(new InterfaceAddress(ni.getName(), stripScope(a)));
                }
            }
        } catch (SocketException e) {
            log.atWarn().addKeyValue("error", e.toString()).log("Cannot list network interfaces");
        }
        return out;
    }

    /**
     * The primary address of a family: the first usable address of the default route's interface, else the
     * first usable address of any interface. Loopback and link-local addresses are never primary.
     */
    public static Optional<InetAddress> primary(
            List<InterfaceAddress> local, Optional<String> defaultInterface, boolean ipv6) {
        if (defaultInterface.isPresent()) {
            for (InterfaceAddress ia : local) {
                if (ia.interfaceName().equals(defaultInterface.get()) && usable(ia.address(), ipv6)) {
                    return Optional.of(ia.address());
                }
            }
        }
        for (InterfaceAddress ia : local) {
            if (usable(ia.address(), ipv6)) {
                return Optional.of(ia.address());
            }
        }
        return Optional.empty();
    }

    /**
     * The node addresses NodePorts listen on: local addresses inside one of the CIDRs, plus the primary
     * addresses when {@code primary} is set. Loopback addresses are never selected; kube-proxy's nftables
     * mode logs the same line when a CIDR covers them.
     */
    public static List<InetAddress> select(
            NodePortAddresses setting, List<InterfaceAddress> local, List<InetAddress> primaries) {
        Set<InetAddress> out = new LinkedHashSet<>();
        boolean loopbackMatched = false;
        for (InterfaceAddress ia : local) {
            for (Cidr c : setting.cidrs()) {
                if (c.contains(ia.address())) {
                    if (ia.address().isLoopbackAddress()) {
                        loopbackMatched = true;
                    } else {
                        out.add(ia.address());
                    }
                }
            }
        }
        if (setting.primary()) {
            out.addAll(primaries);
        }
        if (loopbackMatched) {
            log.atInfo()
                    .addKeyValue("nodePortAddresses", setting.toString())
                    .log("--nodeport-addresses includes localhost but localhost NodePorts are not supported");
        }
        return List.copyOf(out);
    }

    /** The interface of the lowest-metric default route of a family, read from procfs. */
    public static Optional<String> defaultRouteInterface(boolean ipv6) {
        try {
            return ipv6
                    ? defaultInterfaceV6(Files.readAllLines(Path.of("/proc/net/ipv6_route")))
                    : defaultInterfaceV4(Files.readAllLines(Path.of("/proc/net/route")));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Parses {@code /proc/net/route}: Iface Destination Gateway Flags RefCnt Use Metric Mask ... */
    static Optional<String> defaultInterfaceV4(List<String> lines) {
        String best = null;
        long bestMetric = Long.MAX_VALUE;
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 8 || f[0].equals("Iface")) {
                continue;
            }
            if (f[1].equals("00000000") && f[7].equals("00000000")) {
                long metric = Long.parseLong(f[6]);
                if (metric < bestMetric) {
                    bestMetric = metric;
                    best = f[0];
                }
            }
        }
        return Optional.ofNullable(best);
    }

    /** Parses {@code /proc/net/ipv6_route}: dest destlen src srclen nexthop metric refcnt use flags iface. */
    static Optional<String> defaultInterfaceV6(List<String> lines) {
        String best = null;
        long bestMetric = Long.MAX_VALUE;
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 10 || !f[0].equals("00000000000000000000000000000000") || !f[1].equals("00")) {
                continue;
            }
            if (f[9].equals("lo")) {
                continue;
            }
            long metric = Long.parseLong(f[5], 16);
            if (metric < bestMetric) {
                bestMetric = metric;
                best = f[9];
            }
        }
        return Optional.ofNullable(best);
    }

    private static boolean usable(InetAddress a, boolean ipv6) {
        boolean family = ipv6 ? a instanceof Inet6Address : a instanceof Inet4Address;
        return family && !a.isLoopbackAddress() && !a.isLinkLocalAddress() && !a.isAnyLocalAddress();
    }

    private static InetAddress stripScope(InetAddress a) {
        if (a instanceof Inet6Address && ((Inet6Address) a).getScopeId() != 0) {
            try {
                return InetAddress.getByAddress(a.getAddress());
            } catch (java.net.UnknownHostException e) {
                return a;
            }
        }
        return a;
    }
}
