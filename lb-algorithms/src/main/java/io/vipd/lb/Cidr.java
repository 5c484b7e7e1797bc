package io.vipd.lb;

import java.net.InetAddress;
import java.util.Objects;

/** An IP prefix such as 198.18.0.0/15 or fd00::/64. Immutable. */
public record Cidr(InetAddress network, int prefixLength) {
    public Cidr {
        Objects.requireNonNull(network, "network");
        int max = network.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " outside 0.." + max);
        }
    }

    /** Parses "ip/len" (surrounding spaces allowed, as Service validation allows) or a bare IP (a host). */
    public static Cidr parse(String text) {
        String t = text.trim();
        int slash = t.indexOf('/');
        if (slash < 0) {
            InetAddress ip = Addresses.parseIp(t);
            return new Cidr(ip, ip.getAddress().length * 8);
        }
        InetAddress ip = Addresses.parseIp(t.substring(0, slash));
        int len;
        try {
            len = Integer.parseInt(t.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad prefix length in CIDR \"" + text + "\"");
        }
        return new Cidr(ip, len);
    }

    public boolean contains(InetAddress ip) {
        byte[] a = network.getAddress();
        byte[] b = ip.getAddress();
        if (a.length != b.length) {
            return false;
        }
        int full = prefixLength / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (a[full] & mask) == (b[full] & mask);
    }

    public boolean isIpv4() {
        return network.getAddress().length == 4;
    }

    @Override
    public String toString() {
        return Addresses.ipString(network) + "/" + prefixLength;
    }
}
