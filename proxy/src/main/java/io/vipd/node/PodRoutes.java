package io.vipd.node;

import io.vipd.lb.Addresses;
import io.vipd.lb.Cidr;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * For {@code --detect-local-mode} BridgeInterface and InterfaceNamePrefix: the destinations this node routes
 * through its pods' interfaces, read from the kernel's routing tables ({@code /proc/net/route},
 * {@code /proc/net/ipv6_route}). kube-proxy matches the packet's incoming interface; vipd sees a connection's
 * source address only, and a pod's address is local exactly when the node routes it back through a pod
 * interface (the bridge's subnet, or a per-pod route to a veth). Default routes are never local. Stateless.
 */
public final class PodRoutes {
    private PodRoutes() {}

    /** Reads this network namespace's routes; a file that cannot be read contributes nothing. */
    public static List<Cidr> read(Predicate<String> podInterface) {
        return parse(lines(Path.of("/proc/net/route")), lines(Path.of("/proc/net/ipv6_route")), podInterface);
    }

    /** Parses the two files' lines. */
    static List<Cidr> parse(List<String> v4, List<String> v6, Predicate<String> podInterface) {
        Set<Cidr> out = new LinkedHashSet<>();
        // Iface Destination Gateway Flags RefCnt Use Metric Mask ...; addresses in host (little-endian) order.
        for (String line : v4) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 8 || f[0].equals("Iface") || !podInterface.test(f[0])) {
                continue;
            }
            int prefix = Integer.bitCount((int) Long.parseLong(f[7], 16));
            if (prefix > 0) {
                out.add(new Cidr(v4Address(f[1]), prefix));
            }
        }
        // dest destlen src srclen nexthop metric refcnt use flags iface; dest in network order.
        for (String line : v6) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 10 || !podInterface.test(f[9])) {
                continue;
            }
            int prefix = Integer.parseInt(f[1], 16);
            InetAddress dest = v6Address(f[0]);
            if (prefix > 0 && !dest.isLinkLocalAddress() && !dest.isMulticastAddress()) {
                out.add(new Cidr(dest, prefix));
            }
        }
        return new ArrayList<>(out);
    }

    private static InetAddress v4Address(String hexLittleEndian) {
        long v = Long.parseLong(hexLittleEndian, 16);
        return Addresses.parseIp(
                (v & 0xff) + "." + ((v >> 8) & 0xff) + "." + ((v >> 16) & 0xff) + "." + ((v >> 24) & 0xff));
    }

    private static InetAddress v6Address(String hex) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 32; i += 4) {
            if (i > 0) {
                b.append(':');
            }
            b.append(hex, i, i + 4);
        }
        return Addresses.parseIp(b.toString());
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
    }
}
