package io.vipd.netpol;

import io.vipd.lb.Cidr;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;

/**
 * A policy peer's {@code ipBlock}: {@code cidr} minus every {@code except} prefix. Immutable. IPv4 tests are
 * allocation-free (an {@link Inet4Address}'s hash code is its address); IPv6 ones copy the 16 address bytes.
 */
public record IpBlock(Cidr cidr, List<Cidr> except) {
    public IpBlock {
        except = List.copyOf(except);
    }

    public boolean contains(InetAddress ip) {
        if (!contains(cidr, ip)) {
            return false;
        }
        for (int i = 0; i < except.size(); i++) {
            if (contains(except.get(i), ip)) {
                return false;
            }
        }
        return true;
    }

    private static boolean contains(Cidr c, InetAddress ip) {
        if (ip instanceof Inet4Address && c.network() instanceof Inet4Address) {
            int len = c.prefixLength();
            if (len == 0) {
                return true;
            }
            int mask = -1 << (32 - len);
            return (ip.hashCode() & mask) == (c.network().hashCode() & mask);
        }
        return c.contains(ip);
    }
}
